import Foundation
import Testing
@testable import HelloReport

/// The HTML page: escaped, self-contained, well nested, with the figures of its input.
@Suite struct PostureReportTests {
    @Test func hostileTextIsEscaped() {
        let html = Fixtures.report()
        #expect(!html.contains("<script>alert"))
        #expect(html.contains("SNI &lt;script&gt;alert(1)&lt;/script&gt;.example"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("<b>evil"))
        #expect(html.contains("t10d1310h1_&lt;img src=x&gt;"))
        #expect(html.contains("&quot;&gt;&lt;b&gt;evil&lt;/b&gt; \\u0000"))
        #expect(!html.contains("\u{0}"))
        // The only <script> is ours.
        #expect(html.components(separatedBy: "<script").count == 2)
    }

    @Test func escapingCoversAttributesAndControls() {
        #expect(escapeHTML("a<b>&\"'c") == "a&lt;b&gt;&amp;&quot;&#39;c")
        #expect(escapeHTML("x\u{1}y\u{7f}") == "x\\u0001y\\u007F")
        #expect(escapeHTML("é漢\t") == "é漢\t")
    }

    @Test func titleAndInputsAreEscaped() {
        var document = Fixtures.inventoryDocument
        document.inputs = ["</code><script>x()</script>"]
        let html = PostureReport(posture: Posture(sessions: [], inventories: [document]), title: "<i>t</i>").html()
        #expect(!html.contains("<script>x()"))
        #expect(!html.contains("<i>t"))
        #expect(html.contains("<title>&lt;i&gt;t&lt;/i&gt;</title>"))
    }

    @Test func headlineFiguresMatchTheInput() throws {
        let html = Fixtures.report()
        #expect(figure("sessions", in: html) == "7")
        #expect(figure("early-tls", in: html) == "4")
        #expect(figure("endpoints", in: html) == "4")
        // 6 sessions negotiated, 2 of them at TLSv1.2+.
        #expect(figure("modern-share", in: html) == "33.3%")
        #expect(html.contains("of 6 negotiated sessions at TLSv1.2+"))
        #expect(html.contains("Endpoints to upgrade (4)"))
    }

    @Test func endpointRowsAreInRiskOrder() {
        let html = Fixtures.report()
        let order = ["10.213.7.5", "10.213.7.2", "10.213.7.9", "10.66.6.6"]
        let positions = order.map { html.range(of: "<td class=\"endpoint\">\($0)")?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil })
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
        // The inventory's sentence is used where it has one.
        #expect(html.contains("fix the server&#39;s settings"))
    }

    @Test func selfContainedWithNoExternalReferences() {
        let html = Fixtures.report()
        for forbidden in ["http://", "https://", "<link", "@import", "<iframe", "<object", "<embed", "<img"] {
            #expect(!html.lowercased().contains(forbidden), "\(forbidden)")
        }
        // No element loads anything (escaped text may say "src=", a tag may not).
        #expect(html.firstMatch(of: /<[^>]*\s(src|srcset|data|xlink:href)\s*=/.ignoresCase()) == nil)
        // url() only for the page's own SVG patterns.
        for match in html.matches(of: /url\(([^)]*)\)/) { #expect(match.output.1.hasPrefix("#")) }
        // No href except in-page anchors.
        for match in html.matches(of: /href="([^"]*)"/) { #expect(match.output.1.hasPrefix("#")) }
    }

    @Test func structureIsWellNested() {
        let html = Fixtures.report()
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
        #expect(html.contains("<meta charset=\"utf-8\">"))
        #expect(unbalancedTags(html) == [])
        #expect(unbalancedTags("<div><p></div>") != [], "the checker itself finds bad nesting")
        for section in ["headline", "coverage", "versions", "timeline", "endpoints", "counters"] {
            #expect(html.contains("id=\"\(section)\""))
        }
    }

    @Test func chartsHaveDirectLabels() {
        let html = Fixtures.report()
        #expect(html.contains("TLSv1.0 (early): 2"))     // agent: two TLS 1.0 sessions
        #expect(html.contains("refused: 1"))
        #expect(html.contains("early TLS (solid)"))
        #expect(html.contains("url(#fill-early)"))
        #expect(html.contains("one point per minute"))
    }

    @Test func coverageSentenceReadsTheCounters() {
        let html = Fixtures.report()
        #expect(html.contains("parsed 7 of 9 ClientHellos seen (77.7%)"))
        #expect(html.contains("2 TLS flow(s) were picked up mid-stream"))
        #expect(html.contains("Read &quot;no early TLS&quot; with that in mind"))
        let bare = Fixtures.report(inventories: [])
        #expect(bare.contains("No inventory was given"))
        #expect(!bare.contains("id=\"counters\""))
    }

    @Test func fingerprintColumnOnlyWhenPresent() {
        #expect(Fixtures.report().contains("Fingerprints / labels"))
        let plain = Fixtures.sessions.map { line in
            var line = line
            line.ja3 = nil; line.ja4 = nil; line.label = nil
            return line
        }
        #expect(!PostureReport(posture: Posture(sessions: plain)).html().contains("Fingerprints / labels"))
    }

    private func figure(_ id: String, in html: String) -> String? {
        guard let start = html.range(of: "data-figure=\"\(id)\"><span class=\"value\">") else { return nil }
        return String(html[start.upperBound...].prefix { $0 != "<" })
    }
}
