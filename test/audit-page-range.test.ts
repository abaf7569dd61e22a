// A page of the whole log proven with the inclusion proofs of its first and last leaves
// (client-lib/src/audit/range.ts, [Note: proving a page of the log]), against the server's
// own tree (server/src/audit/merkle-tree.ts): every run of leaves in trees of 1 to 33
// leaves gives the root, and each way of lying about it does not.
import t from 'tap';
import { hashLeaf } from '@testimony-vault/protocol/merkle';
import { AuditLogError } from '../client-lib/src/errors.ts';
import { rootFromRange } from '../client-lib/src/audit/range.ts';
import { inclusionProof, rootHash } from '../server/src/audit/merkle-tree.ts';

const leaves = Array.from({ length: 33 }, (_, i) => hashLeaf(new TextEncoder().encode(`event ${i}`)));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const flipped = (b: Uint8Array) => {
  const c = b.slice();
  c[5]! ^= 1;
  return c;
};

/** The root the page gives, or 'refused' when the function throws AuditLogError. */
function rootOr(run: () => Uint8Array): string {
  try {
    return hex(run());
  } catch (err) {
    if (err instanceof AuditLogError) return 'refused';
    throw err;
  }
}

t.test('every page of every tree up to 33 leaves gives the signed root', async (t) => {
  let pages = 0;
  for (let size = 1; size <= leaves.length; size++) {
    const tree = leaves.slice(0, size);
    const root = hex(rootHash(tree));
    for (let first = 0; first < size; first++) {
      for (let last = first; last < size; last++) {
        const got = hex(rootFromRange(tree.slice(first, last + 1), first, size, inclusionProof(first, tree), inclusionProof(last, tree)));
        if (got !== root) t.fail(`size ${size}, leaves ${first}..${last}`);
        pages++;
      }
    }
  }
  t.pass(`${pages} pages, each gave its tree's root`);
});

t.test('a page that lies does not give the root', async (t) => {
  let tried = 0;
  for (const size of [1, 2, 3, 7, 8, 13, 32, 33]) {
    const tree = leaves.slice(0, size);
    const root = hex(rootHash(tree));
    for (let first = 0; first < size; first++) {
      for (let last = first; last < size; last++) {
        const page = tree.slice(first, last + 1);
        const p1 = inclusionProof(first, tree);
        const p2 = inclusionProof(last, tree);
        const lies: [string, () => Uint8Array][] = [];
        page.forEach((_, i) => lies.push([`leaf ${first + i} changed`, () => rootFromRange(page.map((l, j) => (j === i ? flipped(l) : l)), first, size, p1, p2)]));
        if (page.length > 1) {
          lies.push(['a leaf left out', () => rootFromRange(page.slice(1), first, size, p1, p2)]);
          lies.push(['two leaves swapped', () => rootFromRange([page[1]!, page[0]!, ...page.slice(2)], first, size, p1, p2)]);
        }
        if (first + 1 < size) lies.push(['shifted by one', () => rootFromRange(page, first + 1, size, p1, p2)]);
        lies.push(['in a tree twice the size', () => rootFromRange(page, first, size * 2, p1, p2)]);
        p1.forEach((_, i) => lies.push([`first proof element ${i} flipped`, () => rootFromRange(page, first, size, p1.map((h, j) => (j === i ? flipped(h) : h)), p2)]));
        p2.forEach((_, i) => lies.push([`last proof element ${i} flipped`, () => rootFromRange(page, first, size, p1, p2.map((h, j) => (j === i ? flipped(h) : h)))]));
        lies.push(['a proof too long', () => rootFromRange(page, first, size, [...p1, leaves[0]!], p2)]);
        let proofFlipsCaught = 0;
        for (const [what, lie] of lies) {
          tried++;
          const caught = rootOr(lie) !== root;
          if (what.includes('proof element')) {
            // An element for a subtree inside the page is not used (the leaves give it);
            // those for what lies outside are, so some flip must be caught.
            if (caught) proofFlipsCaught++;
          } else if (!caught) t.fail(`size ${size}, leaves ${first}..${last}: ${what} still gave the root`);
        }
        if (page.length < size && proofFlipsCaught === 0) t.fail(`size ${size}, leaves ${first}..${last}: no flipped proof element was caught`);
      }
    }
  }
  t.pass(`${tried} lies, none gave the root`);
});

t.test('a page outside the tree, or empty, is refused', async (t) => {
  const tree = leaves.slice(0, 8);
  t.throws(() => rootFromRange([], 0, 8, [], []), AuditLogError);
  t.throws(() => rootFromRange(tree.slice(6, 8), 7, 8, inclusionProof(6, tree), inclusionProof(7, tree)), AuditLogError);
  t.throws(() => rootFromRange(tree.slice(0, 2), 0, 8, inclusionProof(0, tree).slice(1), inclusionProof(1, tree)), AuditLogError, 'a proof too short');
});
