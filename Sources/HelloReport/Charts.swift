import Foundation
import HelloWire

/// Inline SVG charts. Each series differs by pattern or dash *and* carries a direct text label,
/// so the charts read in greyscale print and without colour vision. No scripts, no external
/// references: the fills point at `SVGPatterns.definitions` in the same page.
enum SVGPatterns {
    /// Fill for a bar: early versions hatched, good versions solid, no version (a status) dotted.
    enum Kind: String { case early, good, none }

    static let definitions = """
    <svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>
    <pattern id="fill-early" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">\
    <rect width="6" height="6" fill="#f6d5d2"/><line x1="0" y1="0" x2="0" y2="6" stroke="#a3261c" stroke-width="3"/></pattern>
    <pattern id="fill-none" width="6" height="6" patternUnits="userSpaceOnUse">\
    <rect width="6" height="6" fill="#fff"/><circle cx="3" cy="3" r="1.3" fill="#555"/></pattern>
    </defs></svg>
    """

    static func fill(_ kind: Kind) -> String {
        switch kind {
        case .early: "url(#fill-early)"
        case .good: "#2b5d84"
        case .none: "url(#fill-none)"
        }
    }

    static func legend(_ kind: Kind, x: Int, y: Int, text: String) -> String {
        "<rect x=\"\(x)\" y=\"\(y - 11)\" width=\"22\" height=\"13\" fill=\"\(fill(kind))\" stroke=\"#333\"/>"
            + "<text x=\"\(x + 28)\" y=\"\(y)\">\(escapeHTML(text))</text>"
    }
}

/// Negotiated versions by Deep Security role: one group per role, one labelled bar per version.
func versionBarChart(_ posture: Posture) -> String {
    let threshold = TLSVersion(name: posture.minimumVersion) ?? .tls12
    let roles = posture.versionsByRole.keys.sorted()
    let width = 1000, labelWidth = 190, barArea = 560, barHeight = 15, gap = 3, groupGap = 12, top = 30
    let largest = max(1, posture.versionsByRole.values.flatMap(\.values).max() ?? 1)
    var y = top
    var body = ""
    for role in roles {
        let columns = posture.versionsByRole[role]!.sorted { Posture.order($0.key, $1.key) }
        body += "<text class=\"role\" x=\"0\" y=\"\(y + 12)\">\(escapeHTML(role))</text>"
        for (column, count) in columns {
            let kind: SVGPatterns.Kind = TLSVersion(name: column).map { $0 < threshold ? .early : .good } ?? .none
            let length = max(2, count * barArea / largest)
            body += "<rect x=\"\(labelWidth)\" y=\"\(y)\" width=\"\(length)\" height=\"\(barHeight)\" fill=\"\(SVGPatterns.fill(kind))\" stroke=\"#333\"/>"
            let note = kind == .early ? " (early)" : ""
            body += "<text x=\"\(labelWidth + length + 8)\" y=\"\(y + 12)\">\(escapeHTML(column))\(note): \(count)</text>"
            y += barHeight + gap
        }
        y += groupGap
        body += "<line x1=\"0\" x2=\"\(width)\" y1=\"\(y - groupGap / 2 - gap)\" y2=\"\(y - groupGap / 2 - gap)\" stroke=\"#ddd\"/>"
    }
    if roles.isEmpty { body += "<text x=\"0\" y=\"\(top + 15)\">No sessions.</text>"; y += 30 }
    let legend = SVGPatterns.legend(.good, x: 0, y: 14, text: "\(posture.minimumVersion) or later")
        + SVGPatterns.legend(.early, x: 220, y: 14, text: "early TLS (below \(posture.minimumVersion))")
        + SVGPatterns.legend(.none, x: 520, y: 14, text: "no version negotiated (status)")
    return """
    <svg class="chart" viewBox="0 0 \(width) \(y)" role="img" aria-labelledby="versions-title">\
    <title id="versions-title">Sessions by role and negotiated version</title>\(legend)\(body)</svg>
    """
}

/// Early-TLS sessions (solid, dots) and all sessions (dashed) per time bucket.
func timelineChart(_ timeline: Timeline) -> String {
    let points = timeline.points
    guard !points.isEmpty else { return "<p>No session carries a timestamp (<code>ts</code>), so there is no timeline.</p>" }
    let width = 1000, height = 250, left = 50, right = 190, top = 20, bottom = 50
    let plotWidth = width - left - right, plotHeight = height - top - bottom
    let largest = max(1, points.map(\.sessions).max() ?? 1)
    func x(_ index: Int) -> Int { points.count == 1 ? left + plotWidth / 2 : left + index * plotWidth / (points.count - 1) }
    func y(_ value: Int) -> Int { top + plotHeight - value * plotHeight / largest }
    func line(_ values: [Int]) -> String { values.enumerated().map { "\(x($0.offset)),\(y($0.element))" }.joined(separator: " ") }

    var svg = "<line x1=\"\(left)\" y1=\"\(top + plotHeight)\" x2=\"\(left + plotWidth)\" y2=\"\(top + plotHeight)\" stroke=\"#333\"/>"
    svg += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(top + plotHeight)\" stroke=\"#333\"/>"
    for value in Set([0, largest / 2, largest]).sorted() {
        svg += "<line x1=\"\(left)\" x2=\"\(left + plotWidth)\" y1=\"\(y(value))\" y2=\"\(y(value))\" stroke=\"#e4e4e4\"/>"
        svg += "<text x=\"\(left - 8)\" y=\"\(y(value) + 4)\" text-anchor=\"end\">\(value)</text>"
    }
    for index in Set([0, points.count / 2, points.count - 1]).sorted() {
        // The ends are anchored inward so the first and last labels stay inside the chart.
        let anchor = points.count == 1 ? "middle" : index == 0 ? "start" : index == points.count - 1 ? "end" : "middle"
        svg += "<text x=\"\(x(index))\" y=\"\(top + plotHeight + 20)\" text-anchor=\"\(anchor)\">\(escapeHTML(bucketLabel(points[index].start, timeline)))</text>"
    }
    svg += "<text x=\"\(left + plotWidth / 2)\" y=\"\(height - 6)\" text-anchor=\"middle\" class=\"axis\">time (UTC), one point per \(timeline.bucketName)</text>"
    let all = points.map(\.sessions), early = points.map(\.earlyTLS)
    svg += "<polyline points=\"\(line(all))\" fill=\"none\" stroke=\"#555\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>"
    svg += "<polyline points=\"\(line(early))\" fill=\"none\" stroke=\"#a3261c\" stroke-width=\"3\"/>"
    for (index, value) in early.enumerated() where value > 0 || points.count < 60 {
        svg += "<circle cx=\"\(x(index))\" cy=\"\(y(value))\" r=\"4\" fill=\"#a3261c\"/>"
    }
    // Direct labels at the right end of each line; nudged apart when the lines end close together.
    let endAll = y(all.last!), endEarly = y(early.last!)
    let labelAll = abs(endAll - endEarly) < 16 ? min(endAll, endEarly) - 8 : endAll
    let labelEarly = abs(endAll - endEarly) < 16 ? max(endAll, endEarly) + 14 : endEarly
    svg += "<text x=\"\(left + plotWidth + 10)\" y=\"\(labelAll + 4)\">all sessions (dashed)</text>"
    svg += "<text x=\"\(left + plotWidth + 10)\" y=\"\(labelEarly + 4)\" class=\"early\">early TLS (solid)</text>"
    return """
    <svg class="chart" viewBox="0 0 \(width) \(height)" role="img" aria-labelledby="timeline-title">\
    <title id="timeline-title">Early-TLS sessions and all sessions per \(timeline.bucketName)</title>\(svg)</svg>
    """
}

/// "2026-11-29 02:00" for minutes and hours, "2026-11-29" for days.
func bucketLabel(_ date: Date, _ timeline: Timeline) -> String {
    let text = date.formatted(Date.ISO8601FormatStyle()).replacingOccurrences(of: "T", with: " ")
    return String(text.prefix(timeline.bucketSeconds < 86400 ? 16 : 10))
}
