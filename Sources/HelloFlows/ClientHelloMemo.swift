#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HelloFingerprint
import HelloWire
import Synchronization

/// The ClientHellos of the shapes seen last, decoded once. Hellos from one TLS stack to one
/// server differ from each other only where no reader looks: the random, the session id, the
/// key shares' keys, the insides of extensions nobody reads (`ClientHello.forEachOpaqueRange`).
/// A hello equal to a remembered one everywhere else, byte for byte and in length, decodes to
/// the same values at the same offsets, so its decode, offered versions and fingerprint inputs
/// are taken from here instead of worked out again (about 2 000 instructions a hello). Exact:
/// every byte that counts is compared, nothing is taken on a hash's word.
///
/// Two ways in each set (32 by default), picked by the hello's length, legacy version and first
/// cipher suites; a hello of a new shape replaces the less recently used of its set. Hellos
/// longer than `maximumBytes`, or with more than `maximumCompared - 1` opaque runs, are not
/// remembered. Fixed memory, allocated once: about 2.8 KiB an entry, 180 KiB by default.
public final class ClientHelloMemo {
    /// What a remembered hello decoded to; offsets from the start of its body.
    public struct Decoded: Sendable {
        public var hello: ClientHello
        public var offered: OfferedVersions
        /// The fingerprint inputs a fresh session takes from this hello, when kept.
        public var inputs: FingerprintInputs
        public var hasInputs: Bool
        /// Names these inputs (`InputsStamp`): the writer's fingerprint memo finds a session's
        /// fingerprints by it.
        public var stamp: InputsStamp
    }

    /// Stamps for the whole process, so that trackers on several threads never give two shapes
    /// one stamp. Taken once per shape kept, not per hello.
    private static let lastStamp = Atomic<InputsStamp>(0)

    private struct Shape {
        /// The body's length; -1 for an empty entry.
        var length = -1
        var comparedCount = 0
        var lastUse: UInt64 = 0
    }

    public static let ways = 2
    public static let maximumBytes = 2048
    public static let maximumCompared = 16
    /// A power of two.
    public let sets: Int

    private let shapes: UnsafeMutablePointer<Shape>
    private let decoded: UnsafeMutablePointer<Decoded>
    /// Each entry's body, as it came.
    private let bodies: UnsafeMutableRawPointer
    /// Each entry's runs of bytes that count, as offsets into its body; then room for the runs
    /// of a hello being remembered, until it is known to have a plain shape.
    private let compared: UnsafeMutablePointer<(start: Int32, end: Int32)>
    /// Uses so far (the clock of `Shape.lastUse`) and hellos found. Behind a pointer: as stored
    /// properties of a class, each update was checked for exclusive access at run time.
    private let tally: UnsafeMutablePointer<(uses: UInt64, hits: Int)>
    /// Hellos found here.
    public var hits: Int { tally.pointee.hits }

    /// `sets`: rounded up to a power of two.
    public init(sets: Int = 32) {
        self.sets = 1 << (Int.bitWidth - (max(sets, 1) - 1).leadingZeroBitCount)
        let entries = self.sets * Self.ways
        shapes = .allocate(capacity: entries)
        shapes.initialize(repeating: Shape(), count: entries)
        decoded = .allocate(capacity: entries)
        bodies = .allocate(byteCount: entries * Self.maximumBytes, alignment: 64)
        compared = .allocate(capacity: (entries + 1) * Self.maximumCompared)
        tally = .allocate(capacity: 1)
        tally.initialize(to: (0, 0))
    }

    deinit {
        shapes.deallocate()
        decoded.deallocate()   // initialised only where a shape was kept; all trivial values
        bodies.deallocate()
        compared.deallocate()
        tally.deallocate()
    }

    /// What the hello in `body` decodes to, if a remembered hello has its shape.
    public func find(_ span: borrowing RawSpan, body: Range<Int>) -> UnsafePointer<Decoded>? {
        guard let set = set(span, body) else { return nil }
        for entry in set * Self.ways ..< (set + 1) * Self.ways where shapes[entry].length == body.count {
            let runs = UnsafeBufferPointer(start: compared + entry * Self.maximumCompared, count: shapes[entry].comparedCount)
            guard span.bytesEqual(at: body.lowerBound, bodies + entry * Self.maximumBytes, over: runs) else { continue }
            tally.pointee.uses &+= 1
            tally.pointee.hits &+= 1
            shapes[entry].lastUse = tally.pointee.uses
            return UnsafePointer(decoded + entry)
        }
        return nil
    }

    /// Keeps what `hello` (decoded from `body`) came to, for hellos of its shape. `inputs`: the
    /// fingerprint inputs of a fresh session after reading it, or nil. The stamp of the inputs
    /// kept, 0 if none were (nor, then, perhaps the shape).
    @discardableResult
    public func remember(
        _ span: borrowing RawSpan, body: Range<Int>, _ hello: ClientHello, offered: OfferedVersions,
        inputs: FingerprintInputs?
    ) -> InputsStamp {
        guard body.count <= Self.maximumBytes, let set = set(span, body) else { return 0 }
        // The runs between the opaque ones, found aside: a hello without a plain shape must not
        // push a remembered one out.
        let runs = compared + sets * Self.ways * Self.maximumCompared
        var count = 0, from = body.lowerBound
        let plain = hello.forEachOpaqueRange(span) { opaque in
            guard count < Self.maximumCompared - 1 else { return false }
            if opaque.lowerBound > from {
                runs[count] = (Int32(from - body.lowerBound), Int32(opaque.lowerBound - body.lowerBound))
                count += 1
            }
            from = opaque.upperBound
            return true
        }
        guard plain else { return 0 }
        if from < body.upperBound {
            runs[count] = (Int32(from - body.lowerBound), Int32(body.count))
            count += 1
        }
        var entry = set * Self.ways
        for way in entry + 1 ..< (set + 1) * Self.ways where shapes[way].lastUse < shapes[entry].lastUse { entry = way }
        (compared + entry * Self.maximumCompared).update(from: runs, count: count)
        span.copyBytes(body, to: bodies + entry * Self.maximumBytes)
        let stamp = inputs == nil ? 0 : Self.lastStamp.add(1, ordering: .relaxed).newValue
        (decoded + entry).initialize(to: Decoded(
            hello: hello.moved(by: -body.lowerBound), offered: offered,
            inputs: inputs ?? FingerprintInputs(), hasInputs: inputs != nil, stamp: stamp))
        tally.pointee.uses &+= 1
        shapes[entry] = Shape(length: body.count, comparedCount: count, lastUse: tally.pointee.uses)
        return stamp
    }

    /// The set a hello's shape falls in: by its length, its legacy version, its session id's
    /// length and the 8 bytes after that (the suites' length and first suites), none of them
    /// opaque. Nil for a body too short to have them.
    @inline(__always)
    private func set(_ span: borrowing RawSpan, _ body: Range<Int>) -> Int? {
        // legacy_version (2), random (32), session id length (1), session id
        guard body.count >= 35 else { return nil }
        let sessionIDLength = Int(span.loadUInt8(body.lowerBound + 34))
        let after = body.lowerBound + 35 + sessionIDLength
        guard after + 8 <= body.upperBound else { return nil }
        let legacyVersion = UInt64(span.loadUInt16(body.lowerBound))
        var mixed = (UInt64(body.count) << 24 | legacyVersion << 8 | UInt64(sessionIDLength)) &* 0x9E37_79B9_7F4A_7C15
        mixed ^= span.loadUInt64(after) &* 0xC2B2_AE3D_27D4_EB4F
        return Int(truncatingIfNeeded: (mixed ^ mixed >> 29) & UInt64(sets - 1))
    }
}
