import Crypto
import HelloWire

/// `codes` ascending, `excluding` left out, into `sorted` (which must hold them all);
/// returns how many were kept.
func insertionSorted<let capacity: Int>(
    _ codes: UnsafeBufferPointer<UInt16>, excluding: (UInt16) -> Bool, into sorted: inout InlineArray<capacity, UInt16>
) -> Int {
    var kept = 0
    for value in codes where !excluding(value) {
        var hole = kept
        while hole > 0 && sorted[hole - 1] > value {
            sorted[hole] = sorted[hole - 1]
            hole -= 1
        }
        sorted[hole] = value
        kept += 1
    }
    return kept
}

/// What JA3, JA4 and JA3S are made of, taken out of the hellos once (GREASE left out, wire
/// order) and kept in the session instead of the strings: the strings are written from
/// these when a session is output, and hashed from them (when the hello is read, or later
/// on another thread). The lists share one store, one after another: a session slot holds
/// 192 codes (384 bytes) instead of six lists each sized for its worst case (592 bytes),
/// and every session waiting for its ServerHello holds one. A list longer than its own
/// capacity, or client lists longer than 160 codes in all, are cut and `clientCut`/
/// `serverCut` say so; that side's hashes are then taken from the whole hello
/// (`JA3`/`JA4`/`JA3S`) while it is at hand, and its strings are not written.
public struct FingerprintInputs: Sendable {
    public var hasClient = false
    public var hasServer = false
    /// Not all of that side's codes were kept (see above): its strings cannot be written.
    public var clientCut = false
    public var serverCut = false
    public var clientVersion: UInt16 = 0          // ClientHello.legacy_version (JA3)
    public var ja4Version: UInt16 = 0             // the version JA4 names
    public var alpnCharacters: (UInt8, UInt8) = (0x30, 0x30)
    public var serverVersion: UInt16 = 0
    public var serverCipher: UInt16 = 0
    /// Where each list ends in `codes`; a list starts where the one before it ends.
    @usableFromInline var ends = InlineArray<6, UInt8>(repeating: 0)
    @usableFromInline var codes = InlineArray<192, UInt16>(repeating: 0)

    /// The lists, in the order they are stored (and filled: the ClientHello's, then the ServerHello's).
    public enum List: Int, Sendable {
        case ciphers, extensions, groups, signatureAlgorithms, pointFormats, serverExtensions

        /// The most codes the list keeps.
        public var capacity: Int {
            switch self {
            case .ciphers: 128
            case .extensions: 64
            case .groups, .signatureAlgorithms, .serverExtensions: 32
            case .pointFormats: 8
            }
        }
    }

    /// The most codes the ClientHello's lists keep together; the rest of the store is the server's.
    public static let clientRoom = 160

    public init() {}

    /// Nothing read yet, from either hello.
    public var isFresh: Bool { !hasClient && !hasServer }

    /// The codes of `list`, in place. Inlinable, so that other modules call it specialised:
    /// generic, each call from the output thread's cipher audit cost about 300 instructions.
    @inlinable
    public func withCodes<Result>(_ list: List, _ body: (UnsafeBufferPointer<UInt16>) -> Result) -> Result {
        let bounds = range(list)
        return codes.span.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[bounds])) }
    }

    public func count(_ list: List) -> Int { range(list).count }

    /// The codes of `list` in the inputs at `inputs`, in place (valid while they are): through
    /// a pointer, where `withCodes` on a session the caller holds `inout` copied all 400 bytes
    /// of the inputs first.
    public static func codes(_ list: List, at inputs: UnsafePointer<FingerprintInputs>) -> UnsafeBufferPointer<UInt16> {
        let bounds = inputs.pointee.range(list)
        let base = (UnsafeRawPointer(inputs) + MemoryLayout<FingerprintInputs>.offset(of: \.codes)!).assumingMemoryBound(to: UInt16.self)
        return UnsafeBufferPointer(start: base + bounds.lowerBound, count: bounds.count)
    }

    /// Whether the ClientHello sides of these inputs and `other` make the same JA3, JA4 and raw
    /// strings: the same `writeClientKey`, as the fingerprint memo compares them, and the same
    /// presence and cut. For checks (the fuzz targets), not the packet path: it allocates.
    public func hasSameClientSide(as other: FingerprintInputs) -> Bool {
        guard hasClient == other.hasClient, clientCut == other.clientCut else { return false }
        let keys = UnsafeMutableRawPointer.allocate(byteCount: 2 * Self.clientKeyCapacity, alignment: 8)
        defer { keys.deallocate() }
        let count = writeClientKey(into: keys)
        return count == other.writeClientKey(into: keys + Self.clientKeyCapacity)
            && UnsafeRawBufferPointer(start: keys, count: count)
                .elementsEqual(UnsafeRawBufferPointer(start: keys + Self.clientKeyCapacity, count: count))
    }

    /// The most bytes `writeClientKey` and `writeServerKey` write.
    static let clientKeyCapacity = 11 + 2 * clientRoom
    static let serverKeyCapacity = 5 + 2 * List.serverExtensions.capacity

    /// Everything the client's JA3, JA4 and their strings are made of, as bytes into `out`
    /// (which holds `clientKeyCapacity`): equal keys make equal fingerprints. Returns the count.
    func writeClientKey(into out: UnsafeMutableRawPointer) -> Int {
        out.storeBytes(of: clientVersion, toByteOffset: 0, as: UInt16.self)
        out.storeBytes(of: ja4Version, toByteOffset: 2, as: UInt16.self)
        out.storeBytes(of: alpnCharacters.0, toByteOffset: 4, as: UInt8.self)
        out.storeBytes(of: alpnCharacters.1, toByteOffset: 5, as: UInt8.self)
        for list in 0 ..< 5 { out.storeBytes(of: ends[list], toByteOffset: 6 + list, as: UInt8.self) }
        return 11 + copyCodes(0 ..< Int(ends[4]), to: out + 11)
    }

    /// The same for the server's JA3S (`serverKeyCapacity` bytes at most).
    func writeServerKey(into out: UnsafeMutableRawPointer) -> Int {
        out.storeBytes(of: serverVersion, toByteOffset: 0, as: UInt16.self)
        out.storeBytes(of: serverCipher, toByteOffset: 2, as: UInt16.self)
        let extensions = range(.serverExtensions)
        out.storeBytes(of: UInt8(extensions.count), toByteOffset: 4, as: UInt8.self)
        return 5 + copyCodes(extensions, to: out + 5)
    }

    private func copyCodes(_ bounds: Range<Int>, to out: UnsafeMutableRawPointer) -> Int {
        codes.span.withUnsafeBufferPointer { all in
            out.copyMemory(from: all.baseAddress! + bounds.lowerBound, byteCount: 2 * bounds.count)
        }
        return 2 * bounds.count
    }

    @usableFromInline
    func range(_ list: List) -> Range<Int> {
        let index = list.rawValue
        return (index == 0 ? 0 : Int(ends[index - 1])) ..< Int(ends[index])
    }

    /// Appends `value` to `list`, which must be the last list filled so far; false (and
    /// nothing kept) when the list or its side's room is full. A ClientHello's lists after
    /// a ServerHello's (a capture can show them in that order) would overwrite the server's:
    /// they are not kept.
    @inline(__always)
    private mutating func append(_ value: UInt16, to list: List) -> Bool {
        let (end, stop) = room(list)
        guard end < stop else { return false }
        codes[end] = value
        // The lists after this one are still empty: they start where it now ends.
        for later in list.rawValue ..< ends.count { ends[later] = UInt8(end + 1) }
        return true
    }

    /// Where `list` ends in `codes` now, and where it must stop: at its own capacity, at its
    /// side's room, and at once for a client list after the server's. `mutating` though it
    /// changes nothing, so that the mutating callers' `self` is read in place: through the
    /// non-mutating `range(_:)` or `count(_:)`, each call copied all 400 bytes of it first,
    /// and passing `ends` alone zeroed and filled a copy of that.
    @inline(__always)
    private mutating func room(_ list: List) -> (end: Int, stop: Int) {
        let index = list.rawValue
        let start = index == 0 ? 0 : Int(ends[index - 1])
        let end = Int(ends[index])
        let isServer = list == .serverExtensions
        guard isServer || ends[List.serverExtensions.rawValue] == ends[List.serverExtensions.rawValue - 1] else { return (end, end) }
        let room = isServer ? codes.count : Self.clientRoom
        return (end, end + max(0, min(list.capacity - (end - start), room - end)))
    }

    /// The suites the client offered (GREASE left out), for the cipher audit.
    public var offeredSuites: [CipherSuite] { withCodes(.ciphers) { $0.map { CipherSuite($0) } } }

    /// Takes only the offered suites, for the cipher audit, where `readClient` keeps no lists:
    /// an SSLv2-format hello (it has no fingerprint), or fingerprints turned off.
    public mutating func readSuites(_ hello: ClientHello, in span: borrowing RawSpan) {
        CipherAudit.forEachOfferedSuite(hello: hello, in: span) { suite in
            if !suite.isGREASE && !append(suite.rawValue, to: .ciphers) { clientCut = true }
        }
    }

    /// Takes a TLS-format ClientHello's lists; SSLv2-format hellos have no fingerprint.
    public mutating func readClient(_ hello: ClientHello, in span: borrowing RawSpan) {
        guard !hello.isSSLv2Format else { return }
        hasClient = true
        clientVersion = hello.legacyVersion.rawValue
        if !appendCodes(span, hello.cipherSuites, to: .ciphers) { clientCut = true }
        var walk = ExtensionWalk(hello.extensions.all)
        var hasSupportedVersions = false
        while let type = walk.next(span) {
            if type == ExtensionType.supportedVersions { hasSupportedVersions = true }
            if !isGREASE(type) && !append(type, to: .extensions) { clientCut = true }
        }
        if !appendCodes(span, hello.extensions.supportedGroups, to: .groups) { clientCut = true }
        if !appendCodes(span, hello.extensions.signatureAlgorithms, to: .signatureAlgorithms) { clientCut = true }
        if let formats = hello.extensions.ecPointFormats {
            for offset in formats where !append(UInt16(span.loadUInt8(offset)), to: .pointFormats) { clientCut = true }
        }
        ja4Version = clientVersion
        if hasSupportedVersions, let list = hello.extensions.supportedVersions {
            var highest: UInt16?
            var at = list.lowerBound
            while at + 2 <= list.upperBound {
                let value = span.loadUInt16(at)
                at += 2
                if !isGREASE(value) { highest = max(highest ?? 0, value) }
            }
            if let highest { ja4Version = highest }
        }
        alpnCharacters = Self.alpnCharacters(span, hello.extensions.applicationProtocols)
    }

    /// Takes a TLS ServerHello's version, suite and extension types.
    public mutating func readServer(_ hello: ServerHello, in span: borrowing RawSpan) {
        guard !hello.isSSLv2 else { return }
        hasServer = true
        serverVersion = hello.legacyVersion.rawValue
        serverCipher = hello.cipherSuite.rawValue
        var walk = ExtensionWalk(hello.extensions.all)
        while let type = walk.next(span) {
            if !isGREASE(type) && !append(type, to: .serverExtensions) { serverCut = true }
        }
    }

    /// Appends the non-GREASE codes of `range`; false if some did not fit. What `append` does
    /// code by code, with its room worked out once: its checks and the ends of the lists after
    /// this one, redone for every code, were about 25 instructions a code (800 a ClientHello).
    private mutating func appendCodes(_ span: borrowing RawSpan, _ range: Range<Int>?, to list: List) -> Bool {
        guard let range else { return true }
        let (upper, stop) = room(list)
        var end = upper
        var whole = true
        var offset = range.lowerBound
        while offset + 2 <= range.upperBound {
            let value = span.loadUInt16(offset)
            offset += 2
            if isGREASE(value) { continue }
            guard end < stop else {
                whole = false
                break
            }
            codes[end] = value
            end += 1
        }
        if end != upper {
            for later in list.rawValue ..< ends.count { ends[later] = UInt8(end) }
        }
        return whole
    }

    /// The ALPN part of the JA4 prefix, as `JA4.alpnCharacters` words it.
    private static func alpnCharacters(_ span: borrowing RawSpan, _ list: Range<Int>?) -> (UInt8, UInt8) {
        guard let list, !list.isEmpty else { return (0x30, 0x30) }
        let length = Int(span.loadUInt8(list.lowerBound))
        guard length > 0, list.lowerBound + 1 + length <= list.upperBound else { return (0x30, 0x30) }
        let first = span.loadUInt8(list.lowerBound + 1)
        let last = span.loadUInt8(list.lowerBound + length)
        if isAlphanumeric(first) && isAlphanumeric(last) { return (first, last) }
        return (hexDigit(first >> 4), hexDigit(last & 0xf))
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30 ... 0x39).contains(byte) || (0x41 ... 0x5a).contains(byte) || (0x61 ... 0x7a).contains(byte)
    }
}

/// JA3, JA3S and JA4 written as bytes from `FingerprintInputs` into storage the caller
/// owns, and hashed from there: fingerprinting a session makes no strings and no arrays.
/// The `JA3`/`JA4`/`JA3S` string types stay the reference; the tests hold both to the
/// same bytes.
public enum FingerprintText {
    /// Room for the longest string the bounded lists make (JA4_r of full lists: ~1.2 KB).
    public static let scratchCapacity = 4096

    /// Writes the JA3 string; returns the bytes written (cut at `out`'s size).
    public static func writeJA3(_ inputs: borrowing FingerprintInputs, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var writer = TextWriter(out)
        writer.decimal(inputs.clientVersion)
        writer.byte(",")
        inputs.withCodes(.ciphers) { writer.decimalList($0) }
        writer.byte(",")
        inputs.withCodes(.extensions) { writer.decimalList($0) }
        writer.byte(",")
        inputs.withCodes(.groups) { writer.decimalList($0) }
        writer.byte(",")
        inputs.withCodes(.pointFormats) { writer.decimalList($0) }
        return writer.count
    }

    /// Writes the JA3S string; returns the bytes written.
    public static func writeJA3S(_ inputs: borrowing FingerprintInputs, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var writer = TextWriter(out)
        writer.decimal(inputs.serverVersion)
        writer.byte(",")
        writer.decimal(inputs.serverCipher)
        writer.byte(",")
        inputs.withCodes(.serverExtensions) { writer.decimalList($0) }
        return writer.count
    }

    /// Writes `ja4_r`; returns the bytes written and where its two hashed parts lie
    /// (empty ranges hash to zeros).
    public static func writeJA4Raw(
        _ inputs: borrowing FingerprintInputs, into out: UnsafeMutableBufferPointer<UInt8>
    ) -> (count: Int, prefix: Int, ciphers: Range<Int>, extensions: Range<Int>) {
        var sortedCiphers = InlineArray<128, UInt16>(repeating: 0)
        let cipherCount = inputs.withCodes(.ciphers) { insertionSorted($0, excluding: { _ in false }, into: &sortedCiphers) }
        var sortedExtensions = InlineArray<64, UInt16>(repeating: 0)
        let extensionCount = inputs.withCodes(.extensions) {
            insertionSorted($0, excluding: { $0 == ExtensionType.serverName || $0 == ExtensionType.applicationLayerProtocolNegotiation },
                            into: &sortedExtensions)
        }
        let hasServerName = inputs.withCodes(.extensions) { $0.contains(ExtensionType.serverName) }
        var writer = TextWriter(out)
        writer.byte("t")
        writer.ascii(JA4.versionCode(inputs.ja4Version))
        writer.byte(hasServerName ? "d" : "i")
        writer.twoDigits(min(inputs.count(.ciphers), 99))
        writer.twoDigits(min(inputs.count(.extensions), 99))
        writer.byte(inputs.alpnCharacters.0)
        writer.byte(inputs.alpnCharacters.1)
        let prefix = writer.count
        writer.byte("_")
        let ciphersStart = writer.count
        for index in 0 ..< cipherCount {
            if index > 0 { writer.byte(",") }
            writer.hex4(sortedCiphers[index])
        }
        let ciphersEnd = writer.count
        writer.byte("_")
        let extensionsStart = writer.count
        for index in 0 ..< extensionCount {
            if index > 0 { writer.byte(",") }
            writer.hex4(sortedExtensions[index])
        }
        inputs.withCodes(.signatureAlgorithms) { codes in
            for (index, code) in codes.enumerated() {
                writer.byte(index == 0 ? "_" : ",")
                writer.hex4(code)
            }
        }
        return (writer.count, prefix,
                cipherCount == 0 ? ciphersStart ..< ciphersStart : ciphersStart ..< ciphersEnd,
                extensionCount == 0 ? extensionsStart ..< extensionsStart : extensionsStart ..< writer.count)
    }

    /// JA3 (32 hex digits) into `hash`, using `scratch` for the string; from the whole
    /// hello when the inputs were cut. Returns the digits written: 0 without a ClientHello.
    public static func ja3Hash(
        _ inputs: borrowing FingerprintInputs, hello: ClientHello, in span: borrowing RawSpan,
        scratch: UnsafeMutableBufferPointer<UInt8>, hash: UnsafeMutableBufferPointer<UInt8>
    ) -> Int {
        ja3Hash(inputs, scratch: scratch, hash: hash)?.digits ?? JA3(hello: hello, in: span).map { copy($0.ja3, into: hash) } ?? 0
    }

    /// `ja3Hash` from the inputs alone, long after the hello: nil when they were cut. The
    /// string hashed stays at the start of `scratch`, `text` bytes long.
    public static func ja3Hash(
        _ inputs: borrowing FingerprintInputs, scratch: UnsafeMutableBufferPointer<UInt8>, hash: UnsafeMutableBufferPointer<UInt8>
    ) -> (digits: Int, text: Int)? {
        guard inputs.hasClient else { return (0, 0) }
        guard !inputs.clientCut else { return nil }
        let text = writeJA3(inputs, into: scratch)
        return (md5Hex(scratch, text, into: hash), text)
    }

    /// JA4 (36 characters) into `ja4`; returns the count written, 0 without a ClientHello.
    public static func ja4(
        _ inputs: borrowing FingerprintInputs, hello: ClientHello, in span: borrowing RawSpan,
        scratch: UnsafeMutableBufferPointer<UInt8>, ja4 out: UnsafeMutableBufferPointer<UInt8>
    ) -> Int {
        ja4(inputs, scratch: scratch, ja4: out)?.count ?? JA4(hello: hello, in: span).map { copy($0.ja4, into: out) } ?? 0
    }

    /// `ja4` from the inputs alone, long after the hello: nil when they were cut. JA4_r, which
    /// it is made from, stays at the start of `scratch`, `raw` bytes long.
    public static func ja4(
        _ inputs: borrowing FingerprintInputs, scratch: UnsafeMutableBufferPointer<UInt8>, ja4: UnsafeMutableBufferPointer<UInt8>
    ) -> (count: Int, raw: Int)? {
        guard inputs.hasClient else { return (0, 0) }
        guard !inputs.clientCut else { return nil }
        let raw = writeJA4Raw(inputs, into: scratch)
        guard ja4.count >= raw.prefix + 26 else { return (0, raw.count) }
        for index in 0 ..< raw.prefix { ja4[index] = scratch[index] }
        ja4[raw.prefix] = UInt8(ascii: "_")
        writeHash12(scratch, raw.ciphers, into: UnsafeMutableBufferPointer(rebasing: ja4[raw.prefix + 1 ..< raw.prefix + 13]))
        ja4[raw.prefix + 13] = UInt8(ascii: "_")
        writeHash12(scratch, raw.extensions, into: UnsafeMutableBufferPointer(rebasing: ja4[raw.prefix + 14 ..< raw.prefix + 26]))
        return (raw.prefix + 26, raw.count)
    }

    /// JA3S (32 hex digits) into `hash`; returns the digits written, 0 without a TLS ServerHello.
    public static func ja3sHash(
        _ inputs: borrowing FingerprintInputs, hello: ServerHello, in span: borrowing RawSpan,
        scratch: UnsafeMutableBufferPointer<UInt8>, hash: UnsafeMutableBufferPointer<UInt8>
    ) -> Int {
        ja3sHash(inputs, scratch: scratch, hash: hash)?.digits ?? JA3S(hello: hello, in: span).map { copy($0.ja3s, into: hash) } ?? 0
    }

    /// `ja3sHash` from the inputs alone, long after the hello: nil when they were cut. The
    /// string hashed stays at the start of `scratch`, `text` bytes long.
    public static func ja3sHash(
        _ inputs: borrowing FingerprintInputs, scratch: UnsafeMutableBufferPointer<UInt8>, hash: UnsafeMutableBufferPointer<UInt8>
    ) -> (digits: Int, text: Int)? {
        guard inputs.hasServer else { return (0, 0) }
        guard !inputs.serverCut else { return nil }
        let text = writeJA3S(inputs, into: scratch)
        return (md5Hex(scratch, text, into: hash), text)
    }

    /// MD5 of the first `count` bytes of `text` as hex into `hash`; returns the digits written.
    private static func md5Hex(_ text: UnsafeMutableBufferPointer<UInt8>, _ count: Int, into hash: UnsafeMutableBufferPointer<UInt8>) -> Int {
        MD5.hex(UnsafeRawBufferPointer(UnsafeMutableBufferPointer(rebasing: text[0 ..< count])), into: hash)
    }

    /// First 12 hex digits of SHA-256 over `range` of `text`; twelve zeros for an empty range.
    private static func writeHash12(
        _ text: UnsafeMutableBufferPointer<UInt8>, _ range: Range<Int>, into out: UnsafeMutableBufferPointer<UInt8>
    ) {
        guard !range.isEmpty else {
            for index in 0 ..< 12 { out[index] = UInt8(ascii: "0") }
            return
        }
        writeHex(digest(SHA256.self, text, range), into: out)
    }

    private static func digest<Hash: HashFunction>(
        _: Hash.Type, _ buffer: UnsafeMutableBufferPointer<UInt8>, _ range: Range<Int>
    ) -> Hash.Digest {
        var hasher = Hash()
        hasher.update(bufferPointer: UnsafeRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[range])))
        return hasher.finalize()
    }

    /// Lower-case hex of `digest`, cut at `out`'s size.
    private static func writeHex(_ digest: some Digest, into out: UnsafeMutableBufferPointer<UInt8>) {
        digest.withUnsafeBytes { bytes in
            var at = 0
            // Only the bytes that fit: JA4 keeps 6 of SHA-256's 32.
            for byte in bytes.prefix(out.count / 2) {
                out[at] = hexDigit(byte >> 4)
                out[at + 1] = hexDigit(byte & 0xf)
                at += 2
            }
        }
    }

    /// Copies a string's UTF-8 into `out`, cut at its size; returns the bytes written.
    @discardableResult
    private static func copy(_ text: String, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var count = 0
        for byte in text.utf8 {
            guard count < out.count else { break }
            out[count] = byte
            count += 1
        }
        return count
    }
}

@inline(__always)
func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x57 + nibble }

/// Appends ASCII to a fixed buffer; past its end it only notes that it overflowed.
struct TextWriter {
    let buffer: UnsafeMutableBufferPointer<UInt8>
    var count = 0
    var overflowed = false

    init(_ buffer: UnsafeMutableBufferPointer<UInt8>) { self.buffer = buffer }

    @inline(__always)
    mutating func byte(_ value: UInt8) {
        guard count < buffer.count else { overflowed = true; return }
        buffer[count] = value
        count += 1
    }

    mutating func byte(_ character: Unicode.Scalar) { byte(UInt8(ascii: character)) }

    mutating func ascii(_ text: StaticString) {
        text.withUTF8Buffer { for value in $0 { byte(value) } }
    }

    /// For short strings (two-character codes): those are stored inline, nothing is allocated.
    mutating func ascii(_ text: String) {
        for value in text.utf8 { byte(value) }
    }

    /// Digits from the right, dividing by the constant 10: the loop below divides by a
    /// variable, which was about half the cost of writing a JA3 string (callgrind).
    mutating func decimal(_ value: UInt16) {
        let digits = value >= 10_000 ? 5 : value >= 1000 ? 4 : value >= 100 ? 3 : value >= 10 ? 2 : 1
        guard buffer.count - count >= digits else { return decimalCut(value) }
        var rest = value
        var at = count + digits
        repeat {
            at -= 1
            buffer[at] = 0x30 + UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        } while at > count
        count += digits
    }

    /// `decimal` at the end of the buffer: as many leading digits as fit.
    private mutating func decimalCut(_ value: UInt16) {
        var divisor: UInt16 = 10_000
        var started = false
        while divisor > 0 {
            let digit = UInt8(value / divisor % 10)
            if digit != 0 || started || divisor == 1 {
                byte(0x30 + digit)
                started = true
            }
            divisor /= 10
        }
    }

    mutating func twoDigits(_ value: Int) {
        byte(0x30 + UInt8(value / 10))
        byte(0x30 + UInt8(value % 10))
    }

    mutating func hex4(_ value: UInt16) {
        byte(hexDigit(UInt8(value >> 12)))
        byte(hexDigit(UInt8(value >> 8 & 0xf)))
        byte(hexDigit(UInt8(value >> 4 & 0xf)))
        byte(hexDigit(UInt8(value & 0xf)))
    }

    /// JA3's list form: decimal values joined by `-`.
    mutating func decimalList(_ codes: UnsafeBufferPointer<UInt16>) {
        for (index, code) in codes.enumerated() {
            if index > 0 { byte("-") }
            decimal(code)
        }
    }
}

/// The extension types of an extensions block in wire order, stopping where
/// `HelloLists.extensionTypes` stops (a broken header or length, or the count limit).
struct ExtensionWalk {
    private var cursor: ByteCursor
    private var seen = 0

    init(_ block: Range<Int>) { cursor = ByteCursor(block) }

    mutating func next(_ span: borrowing RawSpan) -> UInt16? {
        guard !cursor.isAtEnd, seen < HelloExtensions.maximumCount, cursor.remaining >= 4,
              let type = try? cursor.readUInt16(span), (try? cursor.readVector(span, prefixBytes: 2)) != nil else { return nil }
        seen += 1
        return type
    }
}
