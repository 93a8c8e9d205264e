/** The other half of the cycle: runs `double` from the half-loaded cycle-a. */
import { double } from './cycle-a';

export const fromB = double(21);
