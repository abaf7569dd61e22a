// Merkle tree of the audit log: client verification (protocol/src/merkle, which the client
// imports as @testimony-vault/protocol/merkle) and server proof generation
// (server/src/audit/merkle-tree.ts), RFC 9162 §2.1.
import t from 'tap';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  MerkleProofError,
  emptyRootHash,
  hashChildren,
  hashLeaf,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
} from '@testimony-vault/protocol/merkle';
import {
  consistencyProof,
  inclusionProof,
  rootHash,
  type LeafHashSource,
} from '../server/src/audit/merkle-tree.ts';

// ---------------------------------------------------------------- helpers

const fromHex = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const hexAll = (hashes: readonly Uint8Array[]): string[] => hashes.map(toHex);

/** A copy of `bytes` with one bit flipped. */
function flipBit(bytes: Uint8Array, bit = 3): Uint8Array {
  const copy = bytes.slice();
  copy[0] = (copy[0] ?? 0) ^ (1 << bit);
  return copy;
}

const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha256');
  for (const part of parts) h.update(part);
  return new Uint8Array(h.digest());
};

/** A well-formed hash that belongs to no tree in these tests. */
const someHash = sha256(new TextEncoder().encode('unrelated'));

/** Why `fn` did not throw a MerkleProofError, or undefined if it did. */
function whyAccepted(fn: () => unknown): string | undefined {
  try {
    fn();
    return 'accepted';
  } catch (err) {
    if (err instanceof MerkleProofError && err.code === 'VAULT_ERR_MERKLE_PROOF') return undefined;
    return `threw ${String(err)} instead of MerkleProofError`;
  }
}

// ---------------------------------------------------------------- vectors

interface Vectors {
  leafInputs: string[];
  rootHashes: string[];
  nodeHashes: string[][];
  inclusionProofs: { index: number; treeSize: number; proof: string[] }[];
  consistencyProofs: { size1: number; size2: number; proof: string[] }[];
  accumulated: { maxSize: number; subtreeHashes: string; subtreeInclusionProofs: string };
}

const vectors = JSON.parse(
  readFileSync(new URL('./vectors/rfc6962.json', import.meta.url), 'utf8'),
) as Vectors;
const leafHashes = vectors.leafInputs.map((hex) => hashLeaf(fromHex(hex)));
const knownRoot = (size: number): Uint8Array => fromHex(vectors.rootHashes[size] ?? '');

// ---------------------------------------------------------------- negative variants

interface InclusionCase {
  leafHash: Uint8Array;
  index: number;
  treeSize: number;
  proof: Uint8Array[];
  root: Uint8Array;
}

interface ConsistencyCase {
  size1: number;
  size2: number;
  proof: Uint8Array[];
  root1: Uint8Array;
  root2: Uint8Array;
}

/**
 * Altered copies of a valid inclusion proof, each of which must be rejected.
 * treeSize ± 1 is absent on purpose: the proof does not authenticate the size,
 * see the test 'an inclusion proof does not authenticate the tree size'.
 */
function corruptInclusion(c: InclusionCase): [string, InclusionCase][] {
  const { proof, root } = c;
  const variants: [string, InclusionCase][] = [
    ['index - 1', { ...c, index: c.index - 1 }],
    ['index + 1', { ...c, index: c.index + 1 }],
    ['tree size * 2', { ...c, treeSize: c.treeSize * 2 }],
    ['tree size / 2', { ...c, treeSize: Math.floor(c.treeSize / 2) }],
    ['wrong leaf', { ...c, leafHash: hashLeaf(new TextEncoder().encode('wrong leaf')) }],
    ['empty-tree root', { ...c, root: emptyRootHash() }],
    ['unrelated root', { ...c, root: someHash }],
    ['root with a bit flipped', { ...c, root: flipBit(root) }],
    ['trailing empty element', { ...c, proof: [...proof, new Uint8Array(0)] }],
    ['trailing root', { ...c, proof: [...proof, root] }],
    ['trailing random hash', { ...c, proof: [...proof, someHash] }],
    ['preceding empty element', { ...c, proof: [new Uint8Array(0), ...proof] }],
    ['preceding root', { ...c, proof: [root, ...proof] }],
  ];
  proof.forEach((_, i) => {
    const flipped = proof.map((hash, j) => (j === i ? flipBit(hash) : hash));
    variants.push([`proof[${i}] with a bit flipped`, { ...c, proof: flipped }]);
  });
  if (proof.length > 0) {
    variants.push(['last element removed', { ...c, proof: proof.slice(0, -1) }]);
    variants.push(['empty proof', { ...c, proof: [] }]);
  }
  if (proof.length > 1) {
    variants.push(['inserted element', { ...c, proof: [proof[0]!, someHash, ...proof.slice(1)] }]);
  }
  return variants;
}

/** Altered copies of a valid, non-empty consistency proof, each of which must be rejected. */
function corruptConsistency(c: ConsistencyCase): [string, ConsistencyCase][] {
  const { proof, root1, root2 } = c;
  const variants: [string, ConsistencyCase][] = [
    ['size1 - 1', { ...c, size1: c.size1 - 1 }],
    ['size1 + 1', { ...c, size1: c.size1 + 1 }],
    ['size2 * 2', { ...c, size2: c.size2 * 2 }],
    ['size2 / 2', { ...c, size2: Math.floor(c.size2 / 2) }],
    ['wrong root1', { ...c, root1: someHash }],
    ['wrong root2', { ...c, root2: someHash }],
    ['root1 with a bit flipped', { ...c, root1: flipBit(root1, 4) }],
    ['root2 with a bit flipped', { ...c, root2: flipBit(root2, 4) }],
    ['swapped roots', { ...c, root1: root2, root2: root1 }],
    ['empty proof', { ...c, proof: [] }],
    ['last element removed', { ...c, proof: proof.slice(0, -1) }],
    ['trailing empty element', { ...c, proof: [...proof, new Uint8Array(0)] }],
    ['trailing root1', { ...c, proof: [...proof, root1] }],
    ['trailing root2', { ...c, proof: [...proof, root2] }],
    ['preceding empty element', { ...c, proof: [new Uint8Array(0), ...proof] }],
    ['preceding root1', { ...c, proof: [root1, ...proof] }],
    ['preceding root2', { ...c, proof: [root2, ...proof] }],
    ['preceding proof[0]', { ...c, proof: [proof[0]!, ...proof] }],
  ];
  proof.forEach((_, i) => {
    const flipped = proof.map((hash, j) => (j === i ? flipBit(hash, 4) : hash));
    variants.push([`proof[${i}] with a bit flipped`, { ...c, proof: flipped }]);
  });
  return variants;
}

const checkInclusion = (c: InclusionCase) => () =>
  verifyInclusion(c.leafHash, c.index, c.treeSize, c.proof, c.root);
const checkConsistency = (c: ConsistencyCase) => () =>
  verifyConsistency(c.size1, c.size2, c.proof, c.root1, c.root2);

/** Descriptions of the corrupted variants of `c` that were not rejected. */
function acceptedInclusionVariants(c: InclusionCase): string[] {
  return corruptInclusion(c).flatMap(([desc, bad]) => {
    const why = whyAccepted(checkInclusion(bad));
    return why === undefined ? [] : [`${desc}: ${why}`];
  });
}

function acceptedConsistencyVariants(c: ConsistencyCase): string[] {
  return corruptConsistency(c).flatMap(([desc, bad]) => {
    const why = whyAccepted(checkConsistency(bad));
    return why === undefined ? [] : [`${desc}: ${why}`];
  });
}

// ---------------------------------------------------------------- hashing

t.test('leaf and node hashes are SHA-256 with the RFC 6962 prefixes', async (t) => {
  const a = fromHex('0102');
  const b = fromHex('0304');
  t.equal(toHex(hashLeaf(a)), toHex(sha256(Uint8Array.of(0), a)));
  t.equal(toHex(hashChildren(a, b)), toHex(sha256(Uint8Array.of(1), a, b)));
  t.equal(toHex(emptyRootHash()), vectors.rootHashes[0], 'empty tree root is SHA-256("")');
  // Without the prefixes the two would coincide.
  const asLeaf = hashLeaf(fromHex('0102030405'));
  t.not(toHex(asLeaf), toHex(hashChildren(fromHex('0203'), fromHex('0405'))));
  t.same(hexAll(leafHashes), vectors.nodeHashes[0], 'leaf hashes of the published leaf inputs');
});

// ---------------------------------------------------------------- roots

t.test('root hashes match the published roots for sizes 0 to 8', async (t) => {
  vectors.rootHashes.forEach((expected, size) => {
    t.equal(toHex(rootHash(leafHashes.slice(0, size))), expected, `size ${size}`);
  });
});

t.test('complete subtrees hash to the published node hashes', async (t) => {
  vectors.nodeHashes.forEach((level, height) => {
    level.forEach((expected, i) => {
      const width = 2 ** height;
      const range = leafHashes.slice(i * width, (i + 1) * width);
      t.equal(toHex(rootHash(range)), expected, `level ${height} node ${i}`);
    });
  });
});

// ---------------------------------------------------------------- inclusion vectors

t.test('published inclusion proofs', async (t) => {
  for (const v of vectors.inclusionProofs) {
    t.test(`leaf ${v.index} of ${v.treeSize}`, async (t) => {
      const leaves = leafHashes.slice(0, v.treeSize);
      t.same(hexAll(inclusionProof(v.index, leaves)), v.proof, 'server builds the published proof');

      const c: InclusionCase = {
        leafHash: leafHashes[v.index]!,
        index: v.index,
        treeSize: v.treeSize,
        proof: v.proof.map(fromHex),
        root: knownRoot(v.treeSize),
      };
      const computed = rootFromInclusionProof(c.leafHash, c.index, c.treeSize, c.proof);
      t.equal(toHex(computed), vectors.rootHashes[v.treeSize], 'client gets the published root');
      t.doesNotThrow(checkInclusion(c), 'client accepts it');
      for (const [desc, bad] of corruptInclusion(c)) {
        t.equal(whyAccepted(checkInclusion(bad)), undefined, `rejects ${desc}`);
      }
    });
  }
});

// ---------------------------------------------------------------- consistency vectors

t.test('published consistency proofs', async (t) => {
  for (const v of vectors.consistencyProofs) {
    t.test(`${v.size1} to ${v.size2}`, async (t) => {
      const leaves = leafHashes.slice(0, v.size2);
      const built = consistencyProof(v.size1, leaves);
      t.same(hexAll(built), v.proof, 'server builds the published proof');

      const c: ConsistencyCase = {
        size1: v.size1,
        size2: v.size2,
        proof: v.proof.map(fromHex),
        root1: knownRoot(v.size1),
        root2: knownRoot(v.size2),
      };
      t.doesNotThrow(checkConsistency(c), 'client accepts it');
      if (c.proof.length === 0) return;
      for (const [desc, bad] of corruptConsistency(c)) {
        t.equal(whyAccepted(checkConsistency(bad)), undefined, `rejects ${desc}`);
      }
    });
  }
});

// ---------------------------------------------------------------- accumulated vectors

t.test('accumulated subtree vectors of draft-ietf-plants-merkle-tree-certs', async (t) => {
  const { maxSize, subtreeHashes, subtreeInclusionProofs } = vectors.accumulated;
  const leaves = Array.from({ length: maxSize }, (_, i) => hashLeaf(Uint8Array.of(i)));
  // A subtree [start, end) the draft allows: start is 0 or a multiple of the
  // smallest power of two that holds end - start leaves.
  const isValid = (start: number, end: number): boolean => {
    let width = 1;
    while (width < end - start) width *= 2;
    return start % width === 0;
  };
  const hashes = createHash('sha256');
  const proofs = createHash('sha256');
  const problems: string[] = [];
  for (let end = 1; end <= maxSize; end++) {
    for (let start = 0; start < end; start++) {
      if (!isValid(start, end)) continue;
      const subtree = leaves.slice(start, end);
      const root = rootHash(subtree);
      hashes.update(`[${start}, ${end}) ${toHex(root)}\n`);
      for (let index = start; index < end; index++) {
        const proof = inclusionProof(index - start, subtree);
        proofs.update(`${index} [${start}, ${end})${proof.map((h) => ` ${toHex(h)}`).join('')}\n`);
        const why = whyAccepted(() =>
          verifyInclusion(leaves[index]!, index - start, end - start, proof, flipBit(root)),
        );
        if (why !== undefined) problems.push(`${index} [${start}, ${end}) wrong root: ${why}`);
        try {
          verifyInclusion(leaves[index]!, index - start, end - start, proof, root);
        } catch (err) {
          problems.push(`${index} [${start}, ${end}): ${String(err)}`);
        }
      }
    }
  }
  t.equal(hashes.digest('hex'), subtreeHashes, 'subtree hashes');
  t.equal(proofs.digest('hex'), subtreeInclusionProofs, 'subtree inclusion proofs');
  t.same(problems, [], 'every such proof verifies, and not against a wrong root');
});

// ---------------------------------------------------------------- edge cases

t.test('inclusion edge cases', async (t) => {
  const leaf = hashLeaf(new TextEncoder().encode('data'));
  const ok =
    (leafHash: Uint8Array, index: number, size: number, proof: Uint8Array[], root: Uint8Array) =>
    () =>
      verifyInclusion(leafHash, index, size, proof, root);

  t.doesNotThrow(ok(leaf, 0, 1, [], leaf), 'the root of a one-leaf tree is its leaf hash');
  const rows: [string, () => void][] = [
    ['tree of size 0', ok(leaf, 0, 0, [], leaf)],
    ['index equal to the size', ok(leaf, 1, 1, [], leaf)],
    ['index beyond the size', ok(leaf, 2, 1, [], leaf)],
    ['negative index', ok(leaf, -1, 1, [], leaf)],
    ['fractional index', ok(leaf, 0.5, 2, [someHash], leaf)],
    ['NaN tree size', ok(leaf, 0, Number.NaN, [], leaf)],
    ['infinite tree size', ok(leaf, 0, Number.POSITIVE_INFINITY, [], leaf)],
    ['tree size 2^53, not exactly representable', ok(leaf, 0, 2 ** 53, [], leaf)],
    ['empty leaf hash', ok(new Uint8Array(0), 0, 1, [], leaf)],
    ['empty root', ok(leaf, 0, 1, [], new Uint8Array(0))],
    ['31-byte leaf hash and root', ok(leaf.subarray(1), 0, 1, [], leaf.subarray(1))],
    ['33-byte root', ok(leaf, 0, 1, [], Uint8Array.of(...leaf, 0))],
    ['31-byte proof element', ok(leaf, 0, 2, [someHash.subarray(1)], leaf)],
    ['one-leaf tree with a proof', ok(leaf, 0, 1, [someHash], leaf)],
    ['one-leaf tree with another root', ok(leaf, 0, 1, [], someHash)],
    // Leaf 1 of a two-leaf tree passed off as the only leaf of a one-leaf tree:
    // the extra element leads to a real root, so only the length check stops it.
    ['a proof too long for the position', ok(leaf, 0, 1, [someHash], hashChildren(someHash, leaf))],
  ];
  for (const [desc, fn] of rows) t.equal(whyAccepted(fn), undefined, `rejects ${desc}`);

  t.throws(ok(leaf, 0, 0, [], leaf), { name: 'MerkleProofError', code: 'VAULT_ERR_MERKLE_PROOF' });
  t.throws(() => rootFromInclusionProof(leaf, 3, 3, []), MerkleProofError);
});

t.test('consistency edge cases', async (t) => {
  const [r1, r2] = [someHash, emptyRootHash()];
  const check =
    (size1: number, size2: number, proof: Uint8Array[], root1: Uint8Array, root2: Uint8Array) =>
    () =>
      verifyConsistency(size1, size2, proof, root1, root2);

  const accepted: [string, () => void][] = [
    ['0 to 0 with equal roots', check(0, 0, [], r1, r1)],
    ['0 to 1: every tree extends the empty tree', check(0, 1, [], r1, r2)],
    ['0 to 2^53 - 1', check(0, Number.MAX_SAFE_INTEGER, [], r2, r1)],
    ['1 to 1 with equal roots', check(1, 1, [], r2, r2)],
    ['2^53 - 1 to itself', check(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, [], r1, r1)],
  ];
  for (const [desc, fn] of accepted) t.doesNotThrow(fn, `accepts ${desc}`);

  const rejected: [string, () => void][] = [
    ['0 to 0 with different roots', check(0, 0, [], r1, r2)],
    ['1 to 1 with different roots', check(1, 1, [], r1, r2)],
    ['equal sizes and roots but a proof', check(1, 1, [r1], r1, r1)],
    ['0 to 0 with a proof', check(0, 0, [r2], r2, r2)],
    ['from the empty tree with a proof', check(0, 1, [r2], r2, r2)],
    ['1 to 0: the log shrank', check(1, 0, [], r1, r2)],
    ['2 to 1: the log shrank', check(2, 1, [], r1, r2)],
    ['1 to 2 with no proof', check(1, 2, [], r1, r2)],
    ['negative size1', check(-1, 2, [r1], r1, r2)],
    ['fractional size2', check(1, 2.5, [r1], r1, r2)],
    ['NaN size1', check(Number.NaN, 2, [r1], r1, r2)],
    ['size2 of 2^53', check(1, 2 ** 53, [r1], r1, r2)],
    ['short root1, from the empty tree', check(0, 1, [], r1.subarray(1), r2)],
    ['long root2, equal sizes', check(1, 1, [], r1, Uint8Array.of(...r1, 0))],
    ['short proof element', check(1, 2, [r1.subarray(2)], r1, r2)],
  ];
  for (const [desc, fn] of rejected) t.equal(whyAccepted(fn), undefined, `rejects ${desc}`);
});

t.test('server rejects proofs it cannot build', async (t) => {
  const leaves = leafHashes.slice(0, 5);
  t.throws(() => inclusionProof(5, leaves), RangeError, 'index equal to the size');
  t.throws(() => inclusionProof(-1, leaves), RangeError, 'negative index');
  t.throws(() => inclusionProof(0, []), RangeError, 'empty tree');
  t.throws(() => inclusionProof(1.5, leaves), RangeError, 'fractional index');
  t.throws(() => consistencyProof(6, leaves), RangeError, 'size1 beyond the tree');
  t.throws(() => consistencyProof(-1, leaves), RangeError, 'negative size1');
  t.same(consistencyProof(0, leaves), [], 'from the empty tree: empty proof');
  t.same(consistencyProof(5, leaves), [], 'to itself: empty proof');
  t.equal(toHex(rootHash([])), vectors.rootHashes[0], 'root of the empty tree');
});

t.test('an inclusion proof does not authenticate the tree size', async (t) => {
  // RFC 9162 proofs carry no size: leaf 1 sits on the same path in trees of 5
  // and 6 leaves, so the 5-leaf proof also "verifies" for size 6 against the
  // 5-leaf root. This is why the client must take the size and the root from
  // one signed tree head, and why 'tree size ± 1' is not among the corruptions.
  const v = vectors.inclusionProofs.find((p) => p.index === 1 && p.treeSize === 5);
  if (v === undefined) throw new Error('vector for leaf 1 of 5 missing');
  const proof = v.proof.map(fromHex);
  t.doesNotThrow(() => verifyInclusion(leafHashes[1]!, 1, 6, proof, knownRoot(5)));
  const root6 = rootHash(leafHashes.slice(0, 6));
  t.equal(
    whyAccepted(() => verifyInclusion(leafHashes[1]!, 1, 6, proof, root6)),
    undefined,
    'but not against the root of the 6-leaf tree',
  );
});

// ---------------------------------------------------------------- round trips

const maxRoundTrip = 64;
const roundTripLeaves = Array.from({ length: maxRoundTrip }, (_, i) =>
  hashLeaf(new TextEncoder().encode(`entry ${i}`)),
);
const roots = Array.from({ length: maxRoundTrip + 1 }, (_, size) =>
  rootHash(roundTripLeaves.slice(0, size)),
);
const rootOf = (size: number): Uint8Array => roots[size]!;

/**
 * Sizes to try a proof against, with their own roots. Neighbours and
 * doubling/halving are the sizes whose proofs have the same length or shape
 * as the real one; far-off sizes are rejected on length alone.
 */
function otherSizes(size: number): number[] {
  const candidates = [size - 2, size - 1, size + 1, size + 2, size * 2, Math.floor(size / 2)];
  return [...new Set(candidates)].filter((n) => n >= 0 && n <= maxRoundTrip && n !== size);
}

t.test('every inclusion proof up to 64 leaves verifies, and no altered one does', async (t) => {
  for (let size = 1; size <= maxRoundTrip; size++) {
    const leaves = roundTripLeaves.slice(0, size);
    const problems: string[] = [];
    for (let index = 0; index < size; index++) {
      const c: InclusionCase = {
        leafHash: leaves[index]!,
        index,
        treeSize: size,
        proof: inclusionProof(index, leaves),
        root: rootOf(size),
      };
      try {
        checkInclusion(c)();
      } catch (err) {
        problems.push(`leaf ${index}: ${String(err)}`);
      }
      problems.push(...acceptedInclusionVariants(c).map((p) => `leaf ${index}, ${p}`));
      for (const other of otherSizes(size)) {
        const why = whyAccepted(checkInclusion({ ...c, treeSize: other, root: rootOf(other) }));
        if (why !== undefined) problems.push(`leaf ${index}, size and root of ${other}: ${why}`);
        const why2 = whyAccepted(checkInclusion({ ...c, root: rootOf(other) }));
        if (why2 !== undefined) problems.push(`leaf ${index}, root of ${other}: ${why2}`);
      }
    }
    t.same(problems, [], `size ${size}`);
  }
});

t.test('every consistency proof up to 64 leaves verifies, and no altered one does', async (t) => {
  for (let size2 = 0; size2 <= maxRoundTrip; size2++) {
    const leaves = roundTripLeaves.slice(0, size2);
    const problems: string[] = [];
    for (let size1 = 0; size1 <= size2; size1++) {
      const c: ConsistencyCase = {
        size1,
        size2,
        proof: consistencyProof(size1, leaves),
        root1: rootOf(size1),
        root2: rootOf(size2),
      };
      try {
        checkConsistency(c)();
      } catch (err) {
        problems.push(`${size1}: ${String(err)}`);
      }
      if (size1 === 0) continue; // Any root2 is consistent with the empty tree.
      if (c.proof.length > 0) {
        problems.push(...acceptedConsistencyVariants(c).map((p) => `${size1}, ${p}`));
      }
      for (const other of otherSizes(size2)) {
        const why = whyAccepted(checkConsistency({ ...c, size2: other, root2: rootOf(other) }));
        if (why !== undefined) problems.push(`${size1} to ${other}, proof to ${size2}: ${why}`);
      }
      // size1 = 0 is left out: the empty tree is consistent with every tree.
      for (const other of otherSizes(size1).filter((n) => n > 0)) {
        const why = whyAccepted(checkConsistency({ ...c, size1: other, root1: rootOf(other) }));
        if (why !== undefined) problems.push(`${other} to ${size2}, proof from ${size1}: ${why}`);
      }
    }
    t.same(problems, [], `size2 ${size2}`);
  }
});

t.test('a source serving stored subtree hashes yields the same proofs', async (t) => {
  // Stands in for a store of complete subtrees; see [Note: subtree hashes].
  const stored = new Map<string, Uint8Array>();
  for (let width = 1; width <= maxRoundTrip; width *= 2) {
    for (let start = 0; start + width <= maxRoundTrip; start += width) {
      const end = start + width;
      stored.set(`${start}:${end}`, rootHash(roundTripLeaves.slice(start, end)));
    }
  }
  let reads = 0;
  const source = (size: number): LeafHashSource => ({
    size,
    leafHash: () => {
      throw new Error('a stored subtree should have been used');
    },
    storedSubtreeHash: (start, end) => {
      const hash = stored.get(`${start}:${end}`);
      if (hash !== undefined) reads++;
      return hash;
    },
  });
  const same = (a: Uint8Array[], b: Uint8Array[]) => hexAll(a).join() === hexAll(b).join();
  const differences: string[] = [];
  for (let size = 1; size <= maxRoundTrip; size++) {
    const leaves = roundTripLeaves.slice(0, size);
    if (toHex(rootHash(source(size))) !== toHex(rootOf(size))) differences.push(`root ${size}`);
    for (let i = 0; i < size; i++) {
      if (!same(inclusionProof(i, source(size)), inclusionProof(i, leaves))) {
        differences.push(`inclusion ${i} of ${size}`);
      }
      if (!same(consistencyProof(i, source(size)), consistencyProof(i, leaves))) {
        differences.push(`consistency ${i} to ${size}`);
      }
    }
  }
  t.same(differences, []);
  t.ok(reads > 0, 'the stored hashes were read');
});

// ---------------------------------------------------------------- large trees

t.test('trees of up to 2^53 - 1 leaves, without 32-bit overflow', async (t) => {
  // Every leaf has the same hash except one, so the hash of any range without
  // that leaf depends only on its length and is served as a stored subtree;
  // the server then touches O(log n) nodes, and the differing leaf makes the
  // left/right order of each proof element matter.
  const common = hashLeaf(new TextEncoder().encode('common'));
  const uniform = new Map<number, Uint8Array>([[1, common]]);
  const uniformHash = (n: number): Uint8Array => {
    const known = uniform.get(n);
    if (known !== undefined) return known;
    let k = 1;
    while (k * 2 < n) k *= 2;
    const hash = hashChildren(uniformHash(k), uniformHash(n - k));
    uniform.set(n, hash);
    return hash;
  };
  const tree = (size: number, special: number, specialHash: Uint8Array): LeafHashSource => ({
    size,
    leafHash: (i) => (i === special ? specialHash : common),
    storedSubtreeHash: (start, end) =>
      special >= start && special < end ? undefined : uniformHash(end - start),
  });

  const max = Number.MAX_SAFE_INTEGER;
  for (const special of [0, 2 ** 31, 2 ** 32 + 1, 2 ** 52 + 12345, max - 1]) {
    const specialHash = hashLeaf(new TextEncoder().encode(`leaf ${special}`));
    const source = tree(max, special, specialHash);
    const root = rootHash(source);
    const c: InclusionCase = {
      leafHash: specialHash,
      index: special,
      treeSize: max,
      proof: inclusionProof(special, source),
      root,
    };
    t.doesNotThrow(checkInclusion(c), `leaf ${special} of 2^53 - 1`);
    t.same(acceptedInclusionVariants(c), [], `altered proofs for leaf ${special} are rejected`);

    for (const size1 of [special + 1, 2 ** 32 + 7, 2 ** 52]) {
      if (size1 >= max) continue; // Equal sizes: covered by the edge cases.
      const root1 = rootHash(tree(size1, special, specialHash));
      const proof = consistencyProof(size1, source);
      const cc: ConsistencyCase = { size1, size2: max, proof, root1, root2: root };
      t.doesNotThrow(checkConsistency(cc), `${size1} to 2^53 - 1 with leaf ${special} differing`);
      t.same(acceptedConsistencyVariants(cc), [], `altered proofs from ${size1} are rejected`);
    }
  }
});
