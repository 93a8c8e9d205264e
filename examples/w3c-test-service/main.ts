// Starts the W3C test service: `PORT=5000 node --import tsx examples/w3c-test-service/main.ts`.
import { addressOf, startTestService } from './service';

startTestService(Number(process.env.PORT ?? 5000), process.env.HOST ?? '127.0.0.1').then((server) => {
  process.stdout.write(`${addressOf(server)}\n`);
});
