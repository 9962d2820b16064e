import Foundation
@testable import HelloReport

/// Session lines shaped like `helloscope analyze --json` output for Captures/ds-agent-4118.pcap,
/// server-pinned-tls10.pcap and refused-early-only.pcap (addresses and versions copied from their
/// `.expected.jsonl`, timestamps added), plus one hostile session whose SNI and label carry markup.
enum Fixtures {
    static let sessionLines = """
    {"ts":"2026-11-29T02:02:32.663695Z","client":"10.213.7.2","client_port":58414,"server":"10.213.7.1","server_port":4118,"role":"agent","client_role":"manager","server_role":"agent","sni":null,"client_max_version":"TLSv1.0","version":"TLSv1.0","early_tls":true,"early_tls_side":"client","status":"negotiated","verdict":"early_tls_negotiated"}
    {"ts":"2026-11-29T02:03:10.100000Z","client":"10.213.7.2","client_port":58420,"server":"10.213.7.1","server_port":4118,"role":"agent","client_role":"manager","server_role":"agent","sni":null,"client_max_version":"TLSv1.1","version":"TLSv1.1","early_tls":true,"early_tls_side":"client","status":"negotiated","verdict":"early_tls_negotiated"}
    {"ts":"2026-11-29T02:04:00.000001Z","client":"10.213.7.2","client_port":58426,"server":"10.213.7.1","server_port":4118,"role":"agent","client_role":"manager","server_role":"agent","sni":null,"client_max_version":"TLSv1.2","version":"TLSv1.2","early_tls":false,"early_tls_side":null,"status":"negotiated","verdict":"ok"}
    {"ts":"2026-11-29T02:05:00.000001Z","client":"10.213.7.2","client_port":58428,"server":"10.213.7.1","server_port":4118,"role":"agent","client_role":"manager","server_role":"agent","sni":null,"client_max_version":"TLSv1.3","version":"TLSv1.3","early_tls":false,"early_tls_side":null,"status":"negotiated","verdict":"ok"}
    {"ts":"2026-11-29T02:06:00Z","client":"10.213.7.2","client_port":42134,"server":"10.213.7.9","server_port":4118,"role":"agent","client_role":"manager","server_role":"agent","sni":null,"client_max_version":"TLSv1.3","version":"TLSv1.0","early_tls":true,"early_tls_side":"server","status":"negotiated","verdict":"early_tls_negotiated"}
    {"ts":"2026-11-29T02:07:00Z","client":"10.213.7.5","client_port":51046,"server":"10.213.7.1","server_port":4120,"role":"manager_heartbeat","client_role":"agent","server_role":"manager","sni":null,"client_max_version":"SSLv3","version":null,"early_tls":false,"early_tls_side":"client","status":"refused","verdict":"early_only_refused"}
    {"ts":"2026-11-29T02:08:00Z","client":"10.66.6.6","client_port":40000,"server":"10.213.7.1","server_port":443,"role":"other","client_role":"other","server_role":"other","sni":"<script>alert(1)</script>.example","client_max_version":"TLSv1.0","version":"TLSv1.0","early_tls":true,"early_tls_side":"client","status":"negotiated","verdict":"early_tls_negotiated","ja4":"t10d1310h1_<img src=x>","label":"\\"><b>evil</b> \\u0000"}

    """

    static var sessions: [SessionLine] { try! SessionLine.decode(lines: Data(sessionLines.utf8)) }

    static let inventory = """
    {"generated_by":"helloscope","min_version":"TLSv1.2","inputs":["day1.pcap"],"endpoints_to_upgrade":4,"endpoints_dropped":0,
     "endpoints":[{"address":"10.213.7.9","role":"agent","side":"server","verdict":"chose TLSv1.0 although clients offered TLSv1.2+: fix the server's settings"}],
     "counters":{"packets":120,"client_hellos_seen":9,"client_hellos_parsed":7,"hellos_incomplete_gap":1,"flows_midstream_tls":2,"flows_evicted":0,"sessions":7,"early_tls_sessions":4}}
    """

    static var inventoryDocument: InventoryDocument { try! JSONDecoder().decode(InventoryDocument.self, from: Data(inventory.utf8)) }

    static func report(inventories: [InventoryDocument] = [inventoryDocument]) -> String {
        PostureReport(posture: Posture(sessions: sessions, inventories: inventories),
                      generated: Date(timeIntervalSince1970: 1_800_000_000)).html()
    }
}

/// Element names opened and not closed (or closed and not open), outside `<script>`/`<style>`:
/// empty for a well-nested page. Void elements and self-closed SVG elements need no end tag.
func unbalancedTags(_ html: String) -> [String] {
    let void: Set = ["meta", "br", "hr", "img", "input", "link", "!doctype"]
    // Raw-text elements: their content is not markup (the page has one of each).
    let text = html.replacing(/<(script|style)>.*?<\/(script|style)>/.dotMatchesNewlines()) { "<\($0.output.1)></\($0.output.2)>" }
    var stack: [String] = []
    var problems: [String] = []
    let tag = /<(\/?)([!a-zA-Z][a-zA-Z0-9]*)[^>]*?(\/?)>/
    for match in text.matches(of: tag) {
        let name = match.output.2.lowercased()
        if void.contains(name) || match.output.3 == "/" { continue }
        if match.output.1 == "/" {
            if stack.last == name { stack.removeLast() } else { problems.append("</\(name)> but open: \(stack.last ?? "nothing")") }
        } else {
            stack.append(name)
        }
    }
    return problems + stack.map { "<\($0)> never closed" }
}
