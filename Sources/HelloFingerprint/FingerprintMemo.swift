#if canImport(Glibc)
import Glibc
#endif

/// Names one ClientHello side of fingerprint inputs for as long as a process runs: inputs
/// given the same stamp are the same (the tracker's ClientHello memo stamps each hello shape
/// it keeps, and copies that shape's inputs into every session of it). 0 names none.
public typealias InputsStamp = UInt64

/// The fingerprints of hellos seen lately, by what they are made of: the hosts on a network
/// run a few TLS stacks, so most sessions' hellos repeat one seen moments ago (4 distinct
/// JA3s among the 190 026 sessions of the handshake workload). A session whose inputs are
/// remembered takes its JA3, JA4, JA3S and raw strings from here instead of writing the
/// strings and hashing them again (two MD5s and two SHA-256s).
///
/// A remembered entry is matched on the whole of its inputs, byte for byte, never on the
/// hash alone: a memo can only miss, not answer wrongly. It is a fixed table made once (each
/// entry in one of two slots, see `Table`), so a flood of distinct hellos costs a look-up and
/// a copy each and no memory. One memo per thread: nothing in it is shared.
public final class FingerprintMemo {
    /// JA3 and JA4 of a ClientHello and the strings they hash, valid until the memo's next use.
    public struct Client {
        public let ja3: UnsafeBufferPointer<UInt8>
        public let ja4: UnsafeBufferPointer<UInt8>
        public let ja3String: UnsafeBufferPointer<UInt8>
        public let ja4Raw: UnsafeBufferPointer<UInt8>
    }

    /// JA3S of a ServerHello and the string it hashes, valid until the memo's next use.
    public struct Server {
        public let ja3s: UnsafeBufferPointer<UInt8>
        public let ja3sString: UnsafeBufferPointer<UInt8>
    }

    private let clients: Table
    private let servers: Table
    /// Stamped inputs seen lately, each with the client entry that answered them and that
    /// entry's generation then: a stamped look-up whose entry has not been replaced since
    /// skips writing, hashing and comparing the key (about 600 instructions a session).
    private let stamped: UnsafeMutablePointer<(stamp: InputsStamp, slot: Int, generation: UInt64)>
    /// Where a string is written to be hashed, and where it stays when it does not fit an entry.
    private let scratch: UnsafeMutableBufferPointer<UInt8>
    /// Hits and misses, in memory of their own: a class's `var` would be checked for exclusive
    /// access at every count.
    private let counts: UnsafeMutablePointer<Int>

    /// Look-ups answered from the memo, and those that had to make the fingerprint.
    public var hits: Int { counts[0] }
    public var misses: Int { counts[1] }

    /// `slots` entries per side (a power of two); pages are touched only as entries are used.
    public init(slots: Int = 128) {
        precondition(slots > 0 && slots & (slots - 1) == 0, "memo slots must be a power of two")
        // Room for the raw strings of everyday hellos (Chrome's two are about 500 bytes); a
        // longer pair is made each time, as without a memo.
        clients = Table(slots: slots, keyCapacity: FingerprintInputs.clientKeyCapacity, textCapacity: 1_088)
        servers = Table(slots: slots, keyCapacity: FingerprintInputs.serverKeyCapacity, textCapacity: 320)
        scratch = .allocate(capacity: 2 * FingerprintText.scratchCapacity + 2 * Table.hashCapacity + FingerprintInputs.clientKeyCapacity)
        counts = .allocate(capacity: 2)
        counts.initialize(repeating: 0, count: 2)
        stamped = .allocate(capacity: slots)
        stamped.initialize(repeating: (0, 0, 0), count: slots)
    }

    deinit {
        scratch.deallocate()
        counts.deallocate()
        stamped.deallocate()
        clients.deallocate()
        servers.deallocate()
    }

    /// JA3, JA4 and their strings for the ClientHello side of `inputs`; nil when there is none
    /// or its lists were cut (then the hashes come from the whole hello, and no string is
    /// written). `known`: the hashes already made of these inputs, if any; then a miss writes
    /// only the strings, and remembers them with these. `stamp`: the inputs' stamp, if any.
    public func client(_ inputs: borrowing FingerprintInputs, stamp: InputsStamp = 0,
                       known: (ja3: UnsafeBufferPointer<UInt8>, ja4: UnsafeBufferPointer<UInt8>)? = nil) -> Client? {
        guard inputs.hasClient, !inputs.clientCut else { return nil }
        let byStamp = stamped + Int(truncatingIfNeeded: stamp) & (clients.slots - 1)
        if stamp != 0, byStamp.pointee.stamp == stamp, clients.generations[byStamp.pointee.slot] == byStamp.pointee.generation {
            clients.lastUse[byStamp.pointee.slot] = counts[0] + counts[1] + 1
            counts[0] += 1
            return client(in: clients.entry(byStamp.pointee.slot))
        }
        let keyCount = inputs.writeClientKey(into: keyRoom)
        let (entry, hash, remembered) = find(in: clients, key: keyRoom, keyCount)
        if remembered {
            note(stamp, answeredBy: entry, at: byStamp)
            return client(in: entry)
        }
        let ja3Text = part(0), ja4Text = part(1)
        let ja3 = hashRoom(0), ja4 = hashRoom(1)
        var made: (ja3: Int, ja4: Int, ja3Text: Int, ja4Raw: Int)
        if let known {
            made = (copy(known.ja3, into: ja3), copy(known.ja4, into: ja4),
                    FingerprintText.writeJA3(inputs, into: ja3Text), FingerprintText.writeJA4Raw(inputs, into: ja4Text).count)
        } else {
            guard let madeJA3 = FingerprintText.ja3Hash(inputs, scratch: ja3Text, hash: ja3),
                  let madeJA4 = FingerprintText.ja4(inputs, scratch: ja4Text, ja4: ja4) else { return nil }
            made = (madeJA3.digits, madeJA4.count, madeJA3.text, madeJA4.raw)
        }
        let strings = (UnsafeBufferPointer(rebasing: ja3Text[0 ..< made.ja3Text]), UnsafeBufferPointer(rebasing: ja4Text[0 ..< made.ja4Raw]))
        let hashes = (UnsafeBufferPointer(rebasing: ja3[0 ..< made.ja3]), UnsafeBufferPointer(rebasing: ja4[0 ..< made.ja4]))
        // Hashes made elsewhere are remembered only if there are any: an entry answers later
        // look-ups that need them.
        guard made.ja3 > 0 && made.ja4 > 0,
              clients.store(entry, hash: hash, key: keyRoom, keyCount, hashes: hashes, texts: strings) else {
            return Client(ja3: hashes.0, ja4: hashes.1, ja3String: strings.0, ja4Raw: strings.1)
        }
        note(stamp, answeredBy: entry, at: byStamp)
        return client(in: entry)
    }

    /// JA3S and its string for the ServerHello side of `inputs`, as `client` does.
    public func server(_ inputs: borrowing FingerprintInputs, known ja3sKnown: UnsafeBufferPointer<UInt8>? = nil) -> Server? {
        guard inputs.hasServer, !inputs.serverCut else { return nil }
        let keyCount = inputs.writeServerKey(into: keyRoom)
        let (entry, hash, remembered) = find(in: servers, key: keyRoom, keyCount)
        if remembered { return server(in: entry) }
        let text = part(0), ja3s = hashRoom(0)
        let made: (ja3s: Int, text: Int)
        if let ja3sKnown {
            made = (copy(ja3sKnown, into: ja3s), FingerprintText.writeJA3S(inputs, into: text))
        } else {
            guard let hashed = FingerprintText.ja3sHash(inputs, scratch: text, hash: ja3s) else { return nil }
            made = (hashed.digits, hashed.text)
        }
        let string = UnsafeBufferPointer(rebasing: text[0 ..< made.text])
        let hashed = UnsafeBufferPointer(rebasing: ja3s[0 ..< made.ja3s])
        let none = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
        guard made.ja3s > 0, servers.store(entry, hash: hash, key: keyRoom, keyCount, hashes: (hashed, none), texts: (string, none)) else {
            return Server(ja3s: hashed, ja3sString: string)
        }
        return server(in: entry)
    }

    /// Remembers that the client `entry`, as it is now, answers `stamp` (none for 0).
    private func note(_ stamp: InputsStamp, answeredBy entry: UnsafeMutableRawPointer,
                      at place: UnsafeMutablePointer<(stamp: InputsStamp, slot: Int, generation: UInt64)>) {
        guard stamp != 0 else { return }
        let slot = clients.slot(of: entry)
        place.pointee = (stamp, slot, clients.generations[slot])
    }

    /// The entry that holds `key`, or the one it is to replace; its hash; and whether it was
    /// held (counted). Look-ups so far are the clock that tells which of two entries was used last.
    private func find(in table: Table, key: UnsafeRawPointer, _ keyCount: Int) -> (UnsafeMutableRawPointer, UInt64, Bool) {
        let hash = Table.hash(key, keyCount)
        let (slot, remembered) = table.slot(for: hash, key: key, keyCount)
        table.lastUse[slot] = counts[0] + counts[1] + 1
        counts[remembered ? 0 : 1] += 1
        return (table.entry(slot), hash, remembered)
    }

    /// The two slots the ClientHello side of `inputs` may sit in, for tests that need hellos
    /// which meet in one.
    func clientSlots(_ inputs: borrowing FingerprintInputs) -> (Int, Int) {
        clients.slots(for: Table.hash(keyRoom, inputs.writeClientKey(into: keyRoom)))
    }

    private func client(in entry: UnsafeMutableRawPointer) -> Client {
        let (ja3, ja4) = clients.hashes(entry)
        let (ja3String, ja4Raw) = clients.texts(entry)
        return Client(ja3: ja3, ja4: ja4, ja3String: ja3String, ja4Raw: ja4Raw)
    }

    private func server(in entry: UnsafeMutableRawPointer) -> Server {
        Server(ja3s: servers.hashes(entry).0, ja3sString: servers.texts(entry).0)
    }

    // The scratch: two strings' room, two hashes' room, then the key being looked up.
    private func part(_ index: Int) -> UnsafeMutableBufferPointer<UInt8> {
        let size = FingerprintText.scratchCapacity
        return UnsafeMutableBufferPointer(rebasing: scratch[index * size ..< (index + 1) * size])
    }

    private func hashRoom(_ index: Int) -> UnsafeMutableBufferPointer<UInt8> {
        let start = 2 * FingerprintText.scratchCapacity + index * Table.hashCapacity
        return UnsafeMutableBufferPointer(rebasing: scratch[start ..< start + Table.hashCapacity])
    }

    private var keyRoom: UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(scratch.baseAddress! + 2 * FingerprintText.scratchCapacity + 2 * Table.hashCapacity)
    }

    private func copy(_ bytes: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let count = min(bytes.count, out.count)
        if count > 0 { out.baseAddress!.update(from: bytes.baseAddress!, count: count) }
        return count
    }
}

/// One side's entries, each in a fixed stride of raw memory:
/// hash (8) · key count (2) · two hash counts (1 + 1) · two text counts (2 + 2) · key · two hashes · texts.
///
/// An entry can sit in either of two slots, one picked by the hash's low bits and one by its
/// high bits, and a newcomer replaces the one of the two used longer ago. With one slot per
/// hash, two hellos that met in it evicted each other for as long as they alternated: two of
/// the handshake workload's four ServerHellos did, and 80 245 of its 380 052 look-ups missed
/// (each an MD5 and a string written again). Two hellos that meet in both slots, one chance
/// in `slots` squared, still do.
private struct Table {
    static let hashCapacity = 40
    let slots: Int
    let keyCapacity: Int
    let textCapacity: Int
    let stride: Int
    let base: UnsafeMutableRawPointer
    /// Per slot, the look-up that last used it; 0 for never (an empty slot is taken first).
    let lastUse: UnsafeMutablePointer<Int>
    /// Per slot, how many times it was stored into: what it holds changes only with this.
    let generations: UnsafeMutablePointer<UInt64>

    init(slots: Int, keyCapacity: Int, textCapacity: Int) {
        self.slots = slots
        self.keyCapacity = keyCapacity
        self.textCapacity = textCapacity
        stride = (16 + keyCapacity + 2 * Self.hashCapacity + textCapacity + 63) & ~63
        // Zeroed: a hash of 0 is an empty entry (`hash` never returns 0).
        base = UnsafeMutableRawPointer(calloc(slots, stride)!)
        lastUse = calloc(slots, MemoryLayout<Int>.stride)!.bindMemory(to: Int.self, capacity: slots)
        generations = calloc(slots, MemoryLayout<UInt64>.stride)!.bindMemory(to: UInt64.self, capacity: slots)
    }

    func deallocate() {
        free(base)
        free(lastUse)
        free(generations)
    }

    /// The two slots an entry of `hash` may sit in (the same one in a one-slot table).
    func slots(for hash: UInt64) -> (Int, Int) {
        let mask = UInt64(slots - 1)
        return (Int(hash & mask), Int((hash >> 32) & mask))
    }

    /// The slot that holds `key`, or else the one to replace, and whether it held it.
    func slot(for hash: UInt64, key: UnsafeRawPointer, _ keyCount: Int) -> (Int, Bool) {
        let (first, second) = slots(for: hash)
        if holds(entry(first), hash: hash, key: key, keyCount) { return (first, true) }
        if holds(entry(second), hash: hash, key: key, keyCount) { return (second, true) }
        return (lastUse[first] <= lastUse[second] ? first : second, false)
    }

    func entry(_ slot: Int) -> UnsafeMutableRawPointer { base + slot * stride }

    func slot(of entry: UnsafeMutableRawPointer) -> Int { (entry - base) / stride }

    func holds(_ entry: UnsafeMutableRawPointer, hash: UInt64, key: UnsafeRawPointer, _ keyCount: Int) -> Bool {
        entry.load(as: UInt64.self) == hash
            && Int(entry.load(fromByteOffset: 8, as: UInt16.self)) == keyCount
            && memcmp(entry + 16, key, keyCount) == 0
    }

    /// Remembers in `entry`, replacing what it held; false when the strings do not fit.
    func store(_ entry: UnsafeMutableRawPointer, hash: UInt64, key: UnsafeRawPointer, _ keyCount: Int,
               hashes: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>),
               texts: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>)) -> Bool {
        guard keyCount <= keyCapacity, texts.0.count + texts.1.count <= textCapacity,
              hashes.0.count <= Self.hashCapacity, hashes.1.count <= Self.hashCapacity else { return false }
        generations[slot(of: entry)] &+= 1
        entry.storeBytes(of: hash, as: UInt64.self)
        entry.storeBytes(of: UInt16(keyCount), toByteOffset: 8, as: UInt16.self)
        entry.storeBytes(of: UInt8(hashes.0.count), toByteOffset: 10, as: UInt8.self)
        entry.storeBytes(of: UInt8(hashes.1.count), toByteOffset: 11, as: UInt8.self)
        entry.storeBytes(of: UInt16(texts.0.count), toByteOffset: 12, as: UInt16.self)
        entry.storeBytes(of: UInt16(texts.1.count), toByteOffset: 14, as: UInt16.self)
        (entry + 16).copyMemory(from: key, byteCount: keyCount)
        let hashesAt = entry + 16 + keyCapacity
        put(hashes.0, at: hashesAt)
        put(hashes.1, at: hashesAt + Self.hashCapacity)
        let textAt = hashesAt + 2 * Self.hashCapacity
        put(texts.0, at: textAt)
        put(texts.1, at: textAt + texts.0.count)
        return true
    }

    func hashes(_ entry: UnsafeMutableRawPointer) -> (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) {
        let at = entry + 16 + keyCapacity
        return (bytes(at, Int(entry.load(fromByteOffset: 10, as: UInt8.self))),
                bytes(at + Self.hashCapacity, Int(entry.load(fromByteOffset: 11, as: UInt8.self))))
    }

    func texts(_ entry: UnsafeMutableRawPointer) -> (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) {
        let at = entry + 16 + keyCapacity + 2 * Self.hashCapacity
        let first = Int(entry.load(fromByteOffset: 12, as: UInt16.self))
        return (bytes(at, first), bytes(at + first, Int(entry.load(fromByteOffset: 14, as: UInt16.self))))
    }

    private func put(_ bytes: UnsafeBufferPointer<UInt8>, at: UnsafeMutableRawPointer) {
        if let start = bytes.baseAddress, bytes.count > 0 { at.copyMemory(from: start, byteCount: bytes.count) }
    }

    private func bytes(_ at: UnsafeMutableRawPointer, _ count: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: at.assumingMemoryBound(to: UInt8.self), count: count)
    }

    /// A 64-bit hash of the key, never 0. Unkeyed: crafted hellos can make entries collide,
    /// which only makes them misses.
    static func hash(_ key: UnsafeRawPointer, _ count: Int) -> UInt64 {
        var hash: UInt64 = 0x9e37_79b9_7f4a_7c15 ^ UInt64(count)
        var at = 0
        while at + 8 <= count {
            hash = (hash ^ key.loadUnaligned(fromByteOffset: at, as: UInt64.self)) &* 0xff51_afd7_ed55_8ccd
            hash ^= hash >> 32
            at += 8
        }
        var tail: UInt64 = 0
        while at < count {
            tail = tail << 8 | UInt64(key.load(fromByteOffset: at, as: UInt8.self))
            at += 1
        }
        hash = (hash ^ tail) &* 0xc4ce_b9fe_1a85_ec53
        hash ^= hash >> 29
        return hash | 1 << 63
    }
}
