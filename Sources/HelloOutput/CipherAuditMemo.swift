import HelloFingerprint
import HelloFlows
import HelloWire

/// The cipher audit of recent sessions, by everything it is computed from: the negotiated
/// version and suite, whether an endpoint is Deep Security's, and the suites the client
/// offered. The audit looked each suite up in the registry's traits and built one or two
/// arrays per session (callgrind: 1 380 instructions a session, a fifth of the output
/// thread's); a network's hosts make few distinct handshakes, so most sessions find theirs
/// here. A direct-mapped table: a session whose inputs differ from its slot's is audited and
/// takes the slot. Its memory is fixed; a flood of distinct offers costs an audit each.
public final class CipherAuditMemo {
    private static var slotCount: Int { 64 }
    /// The most offered suites a session keeps (`FingerprintInputs.List.ciphers`); a longer
    /// list cannot come, and would be audited every time.
    private static var offeredRoom: Int { FingerprintInputs.List.ciphers.capacity }

    private struct Slot {
        var filled = false
        var version: UInt16 = 0
        var suite: UInt16 = 0
        var deepSecurityEndpoint = false
        var offeredCount = 0
        var findings: [CipherFinding] = []
        var names: [String] = []
    }

    /// Through pointers rather than arrays kept in the class: each access to a class's stored
    /// array is checked for exclusivity at run time, and those checks cost more than the audit.
    private let slots: UnsafeMutablePointer<Slot>
    private let offered: UnsafeMutablePointer<UInt16>

    public init() {
        slots = .allocate(capacity: Self.slotCount)
        slots.initialize(repeating: Slot(), count: Self.slotCount)
        offered = .allocate(capacity: Self.slotCount * Self.offeredRoom)
        offered.initialize(repeating: 0, count: Self.slotCount * Self.offeredRoom)
    }

    deinit {
        slots.deinitialize(count: Self.slotCount)
        slots.deallocate()
        offered.deallocate()
    }

    /// `CipherAudit.audit` of a finished session, and its findings' names (what the inventory
    /// and the summary count); none without a negotiated version and suite. By address: a
    /// 1.1 KiB record passed from a pointer's `pointee` was copied, and its offered suites,
    /// read with `withCodes` from an `inout` record, were copied with all the inputs.
    public func findings(_ session: UnsafePointer<SessionRecord>, roles: RoleTable) -> (findings: [CipherFinding], names: [String]) {
        guard let version = session.pointee.negotiated, let suite = session.pointee.cipher else { return ([], []) }
        let deepSecurityEndpoint = session.pointee.roleIndex != roles.otherIndex
        let inputs = (UnsafeRawPointer(session) + MemoryLayout<SessionRecord>.offset(of: \.fingerprints.inputs)!)
            .assumingMemoryBound(to: FingerprintInputs.self)
        return findings(version: version, suite: suite, offered: FingerprintInputs.codes(.ciphers, at: inputs),
                        deepSecurityEndpoint: deepSecurityEndpoint)
    }

    /// The same from its inputs: `offered`, the client's suites as `FingerprintInputs` keeps them.
    public func findings(version: TLSVersion, suite: CipherSuite, offered codes: UnsafeBufferPointer<UInt16>,
                         deepSecurityEndpoint: Bool) -> (findings: [CipherFinding], names: [String]) {
        guard codes.count <= Self.offeredRoom else {
            let findings = Self.audit(version: version, suite: suite, offered: codes, deepSecurityEndpoint: deepSecurityEndpoint)
            return (findings, findings.map(\.name))
        }
        var hash = UInt64(version.rawValue) << 17 | UInt64(suite.rawValue) << 1 | (deepSecurityEndpoint ? 1 : 0)
        for code in codes { hash = (hash ^ UInt64(code)) &* 0x0000_0100_0000_01b3 }
        let index = Int(truncatingIfNeeded: (hash ^ hash >> 29) & UInt64(Self.slotCount - 1))
        let slot = slots + index
        let kept = offered + index * Self.offeredRoom
        if slot.pointee.filled, slot.pointee.version == version.rawValue, slot.pointee.suite == suite.rawValue,
           slot.pointee.deepSecurityEndpoint == deepSecurityEndpoint, slot.pointee.offeredCount == codes.count,
           Self.same(kept, codes) {
            return (slot.pointee.findings, slot.pointee.names)
        }
        let findings = Self.audit(version: version, suite: suite, offered: codes, deepSecurityEndpoint: deepSecurityEndpoint)
        let names = findings.map(\.name)
        if let source = codes.baseAddress { kept.update(from: source, count: codes.count) }
        slot.pointee = Slot(filled: true, version: version.rawValue, suite: suite.rawValue,
                            deepSecurityEndpoint: deepSecurityEndpoint, offeredCount: codes.count,
                            findings: findings, names: names)
        return (findings, names)
    }

    private static func same(_ kept: UnsafeMutablePointer<UInt16>, _ codes: UnsafeBufferPointer<UInt16>) -> Bool {
        for index in 0 ..< codes.count where kept[index] != codes[index] { return false }
        return true
    }

    private static func audit(version: TLSVersion, suite: CipherSuite, offered codes: UnsafeBufferPointer<UInt16>,
                              deepSecurityEndpoint: Bool) -> [CipherFinding] {
        CipherAudit.audit(version: version, suite: suite, offered: { codes.map { CipherSuite($0) } },
                          deepSecurityEndpoint: deepSecurityEndpoint)
    }
}
