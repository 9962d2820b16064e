#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a decode stopped. `truncated` means more bytes may complete the structure;
/// `malformed` means the bytes contradict the format and more will not help.
public enum DecodeError: Error, Equatable, Sendable {
    case truncated(at: Int, needed: Int)
    case malformed(at: Int, field: StaticString)

    public static func == (lhs: DecodeError, rhs: DecodeError) -> Bool {
        switch (lhs, rhs) {
        case let (.truncated(a, n), .truncated(b, m)): return a == b && n == m
        case let (.malformed(a, f), .malformed(b, g)):
            return a == b && f.description == g.description
        default: return false
        }
    }
}

/// A read position over a borrowed frame: offsets only, so every range it hands out
/// indexes the same `RawSpan` it was made for. The span itself is passed to each read
/// instead of being stored, which keeps the cursor an ordinary (escapable) value.
public struct ByteCursor: Sendable {
    public private(set) var offset: Int
    public let end: Int

    public init(offset: Int = 0, end: Int) {
        self.offset = offset
        self.end = end
    }

    public init(_ range: Range<Int>) {
        self.offset = range.lowerBound
        self.end = range.upperBound
    }

    @inlinable public var remaining: Int { end - offset }
    @inlinable public var isAtEnd: Bool { offset >= end }
    @inlinable public var rest: Range<Int> { offset ..< end }

    /// Claims the next `count` bytes, or says how many are missing.
    @inline(__always)
    public mutating func take(_ count: Int) throws(DecodeError) -> Range<Int> {
        guard count >= 0, count <= end - offset else {
            throw .truncated(at: offset, needed: count - (end - offset))
        }
        defer { offset += count }
        return offset ..< offset + count
    }

    @inline(__always)
    public mutating func skip(_ count: Int) throws(DecodeError) {
        _ = try take(count)
    }

    @inline(__always)
    public mutating func readUInt8(_ span: borrowing RawSpan) throws(DecodeError) -> UInt8 {
        let at = try take(1).lowerBound
        return span.loadUInt8(at)
    }

    @inline(__always)
    public mutating func readUInt16(_ span: borrowing RawSpan) throws(DecodeError) -> UInt16 {
        let at = try take(2).lowerBound
        return span.loadUInt16(at)
    }

    @inline(__always)
    public mutating func readUInt24(_ span: borrowing RawSpan) throws(DecodeError) -> Int {
        let at = try take(3).lowerBound
        return span.loadUInt24(at)
    }

    @inline(__always)
    public mutating func readUInt32(_ span: borrowing RawSpan) throws(DecodeError) -> UInt32 {
        let at = try take(4).lowerBound
        return span.loadUInt32(at)
    }

    /// Reads a length prefix of `prefixBytes` (1, 2 or 3) and claims that many bytes.
    @inline(__always)
    public mutating func readVector(
        _ span: borrowing RawSpan, prefixBytes: Int
    ) throws(DecodeError) -> Range<Int> {
        let length: Int
        switch prefixBytes {
        case 1: length = Int(try readUInt8(span))
        case 2: length = Int(try readUInt16(span))
        default: length = try readUInt24(span)
        }
        return try take(length)
    }

    /// Like `readVector`, but inside a structure whose outer length already said it is
    /// complete: running out here means the inner length lies, so it is `malformed`.
    @inline(__always)
    public mutating func readBoundedVector(
        _ span: borrowing RawSpan, prefixBytes: Int, field: StaticString
    ) throws(DecodeError) -> Range<Int> {
        do {
            return try readVector(span, prefixBytes: prefixBytes)
        } catch {
            throw .malformed(at: offset, field: field)
        }
    }
}

// Big-endian loads. The only place that spells `unsafeLoadUnaligned`: RawSpan checks the
// bounds of every load itself, so a wrong offset traps instead of reading past the frame.
extension RawSpan {
    @inline(__always)
    public func loadUInt8(_ offset: Int) -> UInt8 {
        unsafeLoadUnaligned(fromByteOffset: offset, as: UInt8.self)
    }

    @inline(__always)
    public func loadUInt16(_ offset: Int) -> UInt16 {
        UInt16(bigEndian: unsafeLoadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(__always)
    public func loadUInt24(_ offset: Int) -> Int {
        Int(loadUInt8(offset)) << 16 | Int(loadUInt16(offset + 1))
    }

    @inline(__always)
    public func loadUInt32(_ offset: Int) -> UInt32 {
        UInt32(bigEndian: unsafeLoadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always)
    public func loadUInt64(_ offset: Int) -> UInt64 {
        UInt64(bigEndian: unsafeLoadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// Copies the bytes of `range` to `target` in one move (byte by byte, each load checked
    /// its bounds: a 1 400-byte segment cost about 11 000 instructions). `range` must lie in
    /// the span.
    public func copyBytes(_ range: Range<Int>, to target: UnsafeMutableRawPointer) {
        guard !range.isEmpty else { return }
        precondition(range.lowerBound >= 0 && range.upperBound <= byteCount, "range outside the span")
        withUnsafeBytes { source in target.copyMemory(from: source.baseAddress! + range.lowerBound, byteCount: range.count) }
    }

    /// Whether the bytes of each of `ranges` (offsets from `base`) equal those at the same
    /// offsets from `other`. One pass under one bounds check; each range must lie in the span.
    public func bytesEqual(
        at base: Int, _ other: UnsafeRawPointer, over ranges: UnsafeBufferPointer<(start: Int32, end: Int32)>
    ) -> Bool {
        withUnsafeBytes { bytes in
            for range in ranges {
                let start = base + Int(range.start), count = Int(range.end - range.start)
                precondition(start >= 0 && count >= 0 && start + count <= bytes.count, "range outside the span")
                if memcmp(bytes.baseAddress! + start, other + Int(range.start), count) != 0 { return false }
            }
            return true
        }
    }

    /// Compares bytes at `offset` with an ASCII literal, without building a String.
    public func hasPrefix(_ literal: StaticString, at offset: Int = 0) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard offset >= 0, count <= byteCount - offset else { return false }
        return literal.withUTF8Buffer { bytes in
            for index in 0 ..< count where loadUInt8(offset + index) != bytes[index] {
                return false
            }
            return true
        }
    }
}
