// A contender for records.test.ts: says `ready`, reads the moment the first round starts (epoch ms)
// on its stdin, then claims lab `race-R` at the start of each round R (rounds are `spacingMs` apart),
// printing `R won` or `R lost`. It stays alive until its stdin ends (the test ends it once every
// contender is done), so that a claim it won is a live one for the others.
import { createInterface } from 'node:readline';
import { claimLab } from '../records.ts';

const [rounds, spacingMs] = process.argv.slice(2).map(Number) as [number, number];
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
console.log('ready');
const startAt = Number((await lines.next()).value);
for (let round = 0; round < rounds; round++) {
  const at = startAt + round * spacingMs;
  // Spin the last moment: every contender starts its claim within a few microseconds of the others.
  while (Date.now() < at) await new Promise((resolve) => setImmediate(resolve));
  const won = await claimLab(`race-${round}`).then(() => true, () => false);
  console.log(`${round} ${won ? 'won' : 'lost'}`);
}
while (!(await lines.next()).done);
