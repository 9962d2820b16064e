#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Names a fleet gives its own TLS stacks ("DS agent 9.6", "curl 7.19 RHEL 6"), keyed by
/// fingerprint: a JA3 or JA3S hash, a JA4, or any other fingerprint string the operator
/// uses. Loaded from the operator's file; HelloScope ships no default table, since a
/// fingerprint is only worth naming when someone has seen that stack make it.
///
/// Formats:
/// - CSV: one `fingerprint,label` per line; `#` starts a comment line; blank lines are
///   skipped; a first non-comment line `fingerprint,label` is a header. The label is everything after
///   the first comma, trimmed, with one pair of surrounding double quotes removed.
/// - JSON: one object, `{"<fingerprint>": "<label>", …}`.
///
/// 32-hex-digit keys (JA3/JA3S MD5) are matched case-insensitively; other keys exactly
/// (a JA4's ALPN characters may be upper case). Does not validate that a key is a real
/// fingerprint, and does not watch the file for changes.
public struct FingerprintLabels: Sendable {
    public enum Format: Sendable { case csv, json }

    public enum LoadError: Error, Equatable, Sendable {
        case unreadable(path: String)
        case notUTF8
        case malformedLine(Int)        // 1-based line without a comma, or with an empty side
        case invalidJSON(String)
    }

    public private(set) var labels: [String: String] = [:]

    public init() {}

    public init(_ labels: [String: String]) {
        for (fingerprint, label) in labels { self.labels[Self.key(fingerprint)] = label }
    }

    /// Loads `path`; the format is JSON when the name ends in `.json` or the text starts
    /// with `{`, else CSV.
    public init(contentsOfFile path: String) throws(LoadError) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch { throw .unreadable(path: path) }
        guard let text = String(validating: data, as: UTF8.self) else { throw .notUTF8 }
        let isJSON = path.lowercased().hasSuffix(".json")
            || text.first(where: { !$0.isWhitespace }) == "{"
        try self.init(parsing: text, format: isJSON ? .json : .csv)
    }

    public init(parsing text: String, format: Format) throws(LoadError) {
        switch format {
        case .json:
            let decoded: [String: String]
            do {
                decoded = try JSONDecoder().decode([String: String].self, from: Data(text.utf8))
            } catch {
                throw .invalidJSON(String(describing: error))
            }
            self.init(decoded)
        case .csv:
            self.init()
            var lineNumber = 0
            var isFirstEntry = true
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                lineNumber += 1
                let trimmed = Self.trim(line)
                if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
                guard let comma = trimmed.firstIndex(of: ",") else { throw .malformedLine(lineNumber) }
                let fingerprint = Self.trim(trimmed[..<comma])
                var label = Self.trim(trimmed[trimmed.index(after: comma)...])
                if label.count >= 2, label.hasPrefix("\""), label.hasSuffix("\"") {
                    label = Self.trim(label.dropFirst().dropLast())
                }
                defer { isFirstEntry = false }
                if isFirstEntry, fingerprint.lowercased() == "fingerprint", label.lowercased() == "label" { continue }
                guard !fingerprint.isEmpty, !label.isEmpty else { throw .malformedLine(lineNumber) }
                labels[Self.key(fingerprint)] = label
            }
        }
    }

    public var count: Int { labels.count }
    public var isEmpty: Bool { labels.isEmpty }

    /// The label for one fingerprint.
    public subscript(fingerprint: String) -> String? { labels[Self.key(fingerprint)] }

    /// The label for a session: its JA4 when labelled (JA4 is the sturdier of the two:
    /// sorted lists survive extension-order randomisation), else its JA3.
    public func label(ja3: String?, ja4: String?) -> String? {
        if let ja4, let label = self[ja4] { return label }
        if let ja3, let label = self[ja3] { return label }
        return nil
    }

    private static func key(_ fingerprint: String) -> String {
        let trimmed = trim(fingerprint[...])
        let isMD5 = trimmed.utf8.count == 32 && trimmed.allSatisfy(\.isHexDigit)
        return isMD5 ? trimmed.lowercased() : trimmed
    }

    private static func trim<Text: StringProtocol>(_ text: Text) -> String {
        var slice = Substring(text)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
