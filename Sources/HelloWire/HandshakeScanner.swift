/// What the first bytes of one direction of a TCP stream say, as far as a hello goes.
public enum StreamEvent: Sendable, Equatable {
    /// A complete ClientHello/ServerHello body inside one record; scanning may go on at `resumeAt`.
    case clientHello(body: Range<Int>, resumeAt: Int)
    case serverHello(body: Range<Int>, resumeAt: Int)
    /// SSLv2-format hello (2-byte header, high bit set); `message` starts at the type byte.
    case sslv2ClientHello(message: Range<Int>, resumeAt: Int)
    case sslv2ServerHello(message: Range<Int>, resumeAt: Int)
    /// A hello whose handshake message continues in following records: gather them with
    /// `HandshakeScanner.gather` and decode from the gathered copy.
    case helloSpansRecords(firstRecord: Int)
    case alert(TLSAlert, resumeAt: Int)
    /// TLS, but the first handshake message is not a hello, or application data comes
    /// first: the stream was picked up mid-way.
    case midstream
    /// The hello claims more bytes than `limit`: hostile, or not worth the memory.
    case helloTooLarge(claimed: Int)
    /// Not enough bytes yet; keep everything from `from` on.
    case needMore(from: Int)
    case notTLS
}

/// Walks TLS records (RFC 8446 §5.1) from a record boundary until the first hello or
/// alert. Reads in place; skips ChangeCipherSpec (middlebox compatibility, RFC 8446
/// Appendix D.4). Does not decrypt, and does not look past the first hello or alert.
public struct HandshakeScanner: Sendable {
    /// The most bytes a hello may take; the reassembly bound.
    public var limit: Int

    public init(limit: Int) {
        self.limit = limit
    }

    public func scan(_ span: borrowing RawSpan, from start: Int, isStreamStart: Bool) -> StreamEvent {
        let end = span.byteCount
        var at = start
        while true {
            guard at < end else { return .needMore(from: at) }
            if isStreamStart && at == start && span.loadUInt8(at) & 0x80 != 0 {
                return scanSSLv2(span, at: at)
            }
            guard TLSRecordHeader.couldStart(span, at: at) else { return .notTLS }
            guard end - at >= TLSRecordHeader.size else { return .needMore(from: at) }
            guard let header = TLSRecordHeader(decoding: span, at: at) else { return .notTLS }
            let payload = at + TLSRecordHeader.size
            let recordEnd = payload + header.length
            let available = min(recordEnd, end)
            switch header.contentType {
            case .changeCipherSpec:
                guard recordEnd <= end else { return .needMore(from: at) }
                at = recordEnd
            case .alert:
                // An alert is exactly level + description; a shorter record is not one.
                guard header.length >= 2 else { return .notTLS }
                guard payload + 2 <= end else { return .needMore(from: at) }
                let alert = TLSAlert(level: span.loadUInt8(payload),
                                     description: AlertDescription(rawValue: span.loadUInt8(payload + 1)))
                return .alert(alert, resumeAt: recordEnd)
            case .applicationData, .heartbeat:
                return .midstream
            case .handshake:
                guard payload + 4 <= available else {
                    // A complete record shorter than a handshake header: the header itself
                    // is split over records.
                    return recordEnd <= end ? .helloSpansRecords(firstRecord: at) : .needMore(from: at)
                }
                let type = span.loadUInt8(payload)
                guard type == HandshakeType.clientHello.rawValue || type == HandshakeType.serverHello.rawValue else {
                    return .midstream
                }
                let length = span.loadUInt24(payload + 1)
                guard length + 4 <= limit else { return .helloTooLarge(claimed: length + 4) }
                let body = payload + 4 ..< payload + 4 + length
                if body.upperBound <= available {
                    return type == 1
                        ? .clientHello(body: body, resumeAt: recordEnd)
                        : .serverHello(body: body, resumeAt: recordEnd)
                }
                if body.upperBound > recordEnd && recordEnd <= end {
                    return .helloSpansRecords(firstRecord: at)
                }
                return .needMore(from: at)
            }
        }
    }

    /// SSLv2 record with a 2-byte header: only a CLIENT-HELLO (1) or SERVER-HELLO (4) is a
    /// hello; anything else with the high bit set is not TLS.
    private func scanSSLv2(_ span: borrowing RawSpan, at: Int) -> StreamEvent {
        let end = span.byteCount
        guard end - at >= 3 else { return .needMore(from: at) }
        let length = Int(span.loadUInt8(at) & 0x7f) << 8 | Int(span.loadUInt8(at + 1))
        let type = span.loadUInt8(at + 2)
        guard type == 1 || type == 4, length >= 9 else { return .notTLS }
        guard length + 2 <= limit else { return .helloTooLarge(claimed: length + 2) }
        let message = at + 2 ..< at + 2 + length
        guard message.upperBound <= end else { return .needMore(from: at) }
        return type == 1
            ? .sslv2ClientHello(message: message, resumeAt: message.upperBound)
            : .sslv2ServerHello(message: message, resumeAt: message.upperBound)
    }

    public enum Gathered: Sendable, Equatable {
        /// `length` bytes of one handshake message (4-byte header included) are in the output.
        case complete(length: Int, resumeAt: Int)
        case needMore
        case malformed
        case tooLarge(claimed: Int)
    }

    /// Copies the payloads of consecutive handshake records, from `firstRecord`, into `output`
    /// until one handshake message is whole (RFC 8446 §5.1 lets a message span records).
    public func gather(
        _ span: borrowing RawSpan, firstRecord: Int, into output: UnsafeMutableRawBufferPointer
    ) -> Gathered {
        let end = span.byteCount
        var at = firstRecord
        var written = 0
        var needed = -1
        while true {
            guard end - at >= TLSRecordHeader.size else { return .needMore }
            guard let header = TLSRecordHeader(decoding: span, at: at) else { return .malformed }
            // Only handshake records may carry the rest of a handshake message.
            guard header.contentType == .handshake else { return .malformed }
            let payload = at + TLSRecordHeader.size
            let recordEnd = payload + header.length
            let take = min(recordEnd, end) - payload
            var copied = 0
            while copied < take {
                guard written < output.count else { return .tooLarge(claimed: needed) }
                output[written] = span.loadUInt8(payload + copied)
                written += 1
                copied += 1
                if needed < 0 && written == 4 {
                    let length = Int(output[1]) << 16 | Int(output[2]) << 8 | Int(output[3])
                    needed = length + 4
                    guard needed <= min(limit, output.count) else { return .tooLarge(claimed: needed) }
                }
                if needed >= 0 && written == needed {
                    return .complete(length: needed, resumeAt: recordEnd)
                }
            }
            guard recordEnd <= end else { return .needMore }
            at = recordEnd
        }
    }
}
