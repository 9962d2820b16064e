import HelloFingerprint
import HelloFlows
import HelloWire

/// Runs of JSON members that follow from a few small fields of a session, written once per
/// distinct value of those fields and copied after: a session line is some fifty members, and
/// writing each one (its key, its punctuation, its value's text) cost the output thread more
/// than the bytes of the line. Sessions share these fields far more often than not: the same
/// stacks make the same hellos. A direct-mapped table of recent runs, each filled by the run
/// it last wrote; a run whose fields differ from its slot's is written and takes the slot.
final class MemberRuns<Fields: Equatable> {
    private static var slots: Int { 64 }
    /// Longer runs are written every time (a hello offering a dozen versions, say).
    private let room: Int
    /// Each slot's fields (nil: empty) and run length, through pointers rather than arrays kept
    /// in the class: each access to a class's stored array is checked for exclusivity at run
    /// time (four checks a line, about 340 instructions).
    private let fields: UnsafeMutablePointer<Fields?>
    private let lengths: UnsafeMutablePointer<Int>
    private let bytes: UnsafeMutablePointer<UInt8>

    init(room: Int = 768) {
        self.room = room
        fields = .allocate(capacity: Self.slots)
        fields.initialize(repeating: nil, count: Self.slots)
        lengths = .allocate(capacity: Self.slots)
        lengths.initialize(repeating: 0, count: Self.slots)
        bytes = .allocate(capacity: Self.slots * room)
    }

    deinit {
        fields.deinitialize(count: Self.slots)
        fields.deallocate()
        lengths.deallocate()
        bytes.deallocate()
    }

    /// Copies the run kept for `current` into `out`, if its slot (by `hash`) holds it; false
    /// if not, and then the caller writes the run and hands it to `keep`. `out` must have a
    /// member written already (runs start with their comma).
    @inline(__always)
    func copy(_ current: Fields, hash: Int, into out: inout JSONBytes) -> Bool {
        let slot = hash & (Self.slots - 1)
        guard fields[slot] == current else { return false }
        out.appendMembers(UnsafeBufferPointer(start: bytes + slot * room, count: lengths[slot]))
        return true
    }

    /// Whether `copy` would copy a run for `current`.
    @inline(__always)
    func holds(_ current: Fields, hash: Int) -> Bool {
        fields[hash & (Self.slots - 1)] == current
    }

    /// Keeps the run for `current` that `out` holds from `start` on, in its slot.
    func keep(_ current: Fields, hash: Int, from out: borrowing JSONBytes, start: Int) {
        let length = out.count - start
        guard length <= room else { return }
        let slot = hash & (Self.slots - 1)
        out.withBytes { written in
            (bytes + slot * room).update(from: written.baseAddress!.assumingMemoryBound(to: UInt8.self) + start, count: length)
        }
        fields[slot] = current
        lengths[slot] = length
    }
}

/// What the members from `client_hello` to `cipher_code` are written from, packed into
/// words: compared as a struct of optionals and a tuple, one comparison took 1 170
/// instructions (callgrind), more than writing the members.
struct HandshakeFields: Equatable {
    /// Hello states (3 bits each), the SSLv2 format, whether the versions came from
    /// supported_versions, how many were kept, records, segments, and the cipher (17 bits:
    /// present, code).
    private var shape: UInt64
    /// Record, legacy and negotiated versions (17 bits each: present, code).
    private var clientVersions: UInt64
    /// Server legacy version, and the lowest and highest offered (17 bits each).
    private var otherVersions: UInt64
    /// The offered versions kept (`OfferedVersions.capacity`, 12 codes of 16 bits).
    private var offered0: UInt64 = 0, offered1: UInt64 = 0, offered2: UInt64 = 0

    init(_ session: borrowing SessionRecord) {
        @inline(__always) func code(_ version: TLSVersion?) -> UInt64 { version.map { 1 << 16 | UInt64($0.rawValue) } ?? 0 }
        let offered = session.offered
        shape = UInt64(session.clientHello.rawValue) | UInt64(session.serverHello.rawValue) << 3
            | (session.clientHelloSSLv2Format ? 1 << 6 : 0) | (offered.fromSupportedVersions ? 1 << 7 : 0)
            | UInt64(offered.stored) << 8 | UInt64(session.clientHelloRecords) << 12
            | UInt64(session.clientHelloSegments) << 20
            | (session.cipher.map { 1 << 16 | UInt64($0.rawValue) } ?? 0) << 36
        clientVersions = code(session.clientRecordVersion) | code(session.clientLegacyVersion) << 17 | code(session.negotiated) << 34
        otherVersions = code(session.serverLegacyVersion) | code(offered.minimum) << 17 | code(offered.maximum) << 34
        for index in 0 ..< offered.stored {
            let bits = UInt64(offered[index].rawValue) << (16 * UInt64(index % 4))
            switch index / 4 {
            case 0: offered0 |= bits
            case 1: offered1 |= bits
            default: offered2 |= bits
            }
        }
    }

    /// Spreads the fields that vary most between stacks over the slots.
    var hash: Int {
        var mixed = shape ^ clientVersions &* 0x9e37_79b9_7f4a_7c15 ^ otherVersions &* 0xc2b2_ae3d_27d4_eb4f ^ offered0
        mixed = (mixed ^ (mixed >> 29)) &* 0xbf58_476d_1ce4_e5b9
        return Int(truncatingIfNeeded: mixed >> 40)
    }
}

/// What the members from `hello_retry` to `status` are written from.
struct OutcomeFields: Equatable {
    var helloRetry: Bool
    var resumed: Bool
    var alert: TLSAlert?
    var alertFromServer: Bool
    var preamble: PreambleKind
    var earlyTLS: Bool
    var blame: Blame
    var verdict: Verdict
    var status: SessionStatus

    init(_ session: borrowing SessionRecord) {
        helloRetry = session.helloRetry
        resumed = session.resumed
        alert = session.alert
        alertFromServer = session.alertFromServer
        preamble = session.preamble
        earlyTLS = session.earlyTLS
        blame = session.blame
        verdict = session.verdict
        status = session.status
    }

    var hash: Int {
        Int(status.rawValue) &* 7 &+ Int(verdict.rawValue) &* 3 &+ Int(blame.rawValue) &* 11 &+ (earlyTLS ? 5 : 0)
            &+ Int(alert?.description.rawValue ?? 0) &* 13 &+ (resumed ? 17 : 0) &+ Int(preamble.rawValue) &* 19
    }
}

/// What the members from `role` to `ds_strong_cipher` are written from, for a session whose
/// ClientHello the tracker knew by its shape (`SessionFingerprints.clientStamp`, unique in the
/// process). The stamp stands for everything read from that hello: its server name, offered
/// protocols and fingerprint inputs, so its JA3, JA4, raw strings and label, and the suites
/// the cipher audit weighs. The rest is the role, the handshake fields (versions and suite),
/// the server's fingerprint inputs and the protocol it chose. Nil for a session without a
/// stamp, with cut lists (their fingerprints are hashed from the whole hello), or with more
/// server extensions or a longer protocol name than the packed fields hold: such a line is
/// written member by member.
struct MiddleFields: Equatable {
    private var clientStamp: UInt64
    /// The rule's index and which side listens.
    private var role: UInt64
    private var handshake: HandshakeFields
    /// Whether the ServerHello was read for fingerprints, its version and suite, and how many
    /// extensions it had (17 + 16 + 16 + 4 bits).
    private var server: UInt64
    /// The ServerHello's extension types, in order, four to a word.
    private var serverExtensions0: UInt64 = 0, serverExtensions1: UInt64 = 0
    /// The selected protocol's length and bytes.
    private var alpn0: UInt64 = 0, alpn1: UInt64 = 0

    static let serverExtensionsHeld = 8
    static let alpnBytesHeld = 15

    /// `session`'s fields; `handshake` is `HandshakeFields(session)`.
    init?(_ session: UnsafePointer<SessionRecord>, handshake: HandshakeFields) {
        let inputs = (UnsafeRawPointer(session) + MemoryLayout<SessionRecord>.offset(of: \.fingerprints.inputs)!)
            .assumingMemoryBound(to: FingerprintInputs.self)
        clientStamp = session.pointee.fingerprints.clientStamp
        guard clientStamp != 0, !inputs.pointee.clientCut, !inputs.pointee.serverCut else { return nil }
        let extensions = FingerprintInputs.codes(.serverExtensions, at: inputs)
        let alpnCount = session.pointee.alpnSelected.count
        guard extensions.count <= Self.serverExtensionsHeld, alpnCount <= Self.alpnBytesHeld else { return nil }
        role = UInt64(truncatingIfNeeded: session.pointee.roleIndex) << 1 | (session.pointee.roleListenerIsServer ? 1 : 0)
        self.handshake = handshake
        server = (inputs.pointee.hasServer ? 1 << 16 : 0) | UInt64(inputs.pointee.serverVersion)
            | UInt64(inputs.pointee.serverCipher) << 17 | UInt64(extensions.count) << 33
        for (index, type) in extensions.enumerated() {
            let bits = UInt64(type) << (16 * UInt64(index % 4))
            if index < 4 { serverExtensions0 |= bits } else { serverExtensions1 |= bits }
        }
        alpn0 = UInt64(alpnCount)
        session.pointee.alpnSelected.withBytes { bytes in
            for index in 0 ..< bytes.count {
                let bits = UInt64(bytes[index]) << (8 * UInt64((index + 1) % 8))
                if index < 7 { alpn0 |= bits } else { alpn1 |= bits }
            }
        }
    }

    var hash: Int {
        var mixed = clientStamp &* 0x9e37_79b9_7f4a_7c15 ^ role ^ server &* 0xc2b2_ae3d_27d4_eb4f ^ UInt64(truncatingIfNeeded: handshake.hash)
        mixed = (mixed ^ (mixed >> 29)) &* 0xbf58_476d_1ce4_e5b9
        return Int(truncatingIfNeeded: mixed >> 40)
    }
}
