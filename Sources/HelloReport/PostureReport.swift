import Foundation

/// The posture report as one self-contained HTML page: inline CSS, inline SVG, a few lines of
/// plain JavaScript for sorting tables, and no reference to anything outside the file, so it
/// works offline, mailed, and printed. Every string from the JSON is escaped.
public struct PostureReport: Sendable {
    public var posture: Posture
    public var title: String
    public var generated: Date

    public init(posture: Posture, title: String = "TLS posture: early TLS", generated: Date = Date()) {
        self.posture = posture
        self.title = title
        self.generated = generated
    }

    public func html() -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escapeHTML(title))</title>
        <style>\(Self.style)</style>
        </head>
        <body>
        \(SVGPatterns.definitions)
        <header>
        <h1>\(escapeHTML(title))</h1>
        <p class="meta">Made by HelloScope on \(escapeHTML(generated.formatted(Date.ISO8601FormatStyle()))). \
        Early TLS: negotiated below <strong>\(escapeHTML(posture.minimumVersion))</strong> (SSLv2, SSLv3, TLS 1.0, TLS 1.1: RFC 8996, PCI DSS).\(inputsText)</p>
        </header>
        \(headline)
        <section id="coverage"><h2>How complete is this picture?</h2><p>\(escapeHTML(coverageSentence))</p></section>
        <section id="versions"><h2>Negotiated versions by Deep Security role</h2>\(versionBarChart(posture))</section>
        <section id="timeline"><h2>Early TLS over time</h2>\(timelineChart(posture.timeline))</section>
        \(endpointTable)
        \(counterTable)
        <script>\(Self.script)</script>
        </body>
        </html>

        """
    }

    private var inputsText: String {
        guard !posture.inputs.isEmpty else { return "" }
        return " Inputs: " + posture.inputs.map { "<code>\(escapeHTML($0))</code>" }.joined(separator: ", ") + "."
    }

    private var headline: String {
        let figures: [(id: String, value: String, label: String)] = [
            ("sessions", "\(posture.sessions)", "TLS sessions"),
            ("early-tls", "\(posture.earlyTLSSessions)", "early-TLS sessions"),
            ("endpoints", "\(posture.endpoints.count)", "endpoints to upgrade"),
            ("modern-share", percent(posture.modernSessions, of: posture.negotiatedSessions),
             "of \(posture.negotiatedSessions) negotiated sessions at \(posture.minimumVersion)+"),
        ]
        let items = figures.map { figure in
            "<div class=\"figure\" data-figure=\"\(figure.id)\"><span class=\"value\">\(escapeHTML(figure.value))</span>"
                + "<span class=\"label\">\(escapeHTML(figure.label))</span></div>"
        }
        return "<section id=\"headline\" class=\"figures\">\(items.joined())</section>"
    }

    /// What the counters say about what the sensor may have missed.
    var coverageSentence: String {
        guard let counters = posture.counters else {
            return "No inventory was given, so the sensor's counters are unknown: the figures cover the \(posture.sessions) sessions in the JSON only, and hellos the sensor missed or could not parse are not accounted for."
        }
        func count(_ name: String) -> Int { counters.first { $0.name == name }?.value ?? 0 }
        let seen = count("client_hellos_seen"), parsed = count("client_hellos_parsed")
        let incomplete = count("hellos_incomplete_gap") + count("hellos_over_reassembly_bound") + count("hellos_malformed")
        let midstream = count("flows_midstream_tls")
        let lost = count("flows_evicted") + count("session_slots_exhausted") + count("reassembly_pool_exhausted")
            + count("payload_cut_by_snaplen") + posture.endpointsDropped
        var sentence = "The sensor parsed \(parsed) of \(seen) ClientHellos seen (\(percent(parsed, of: seen)))"
        sentence += "; \(incomplete) hello(s) were incomplete (a gap in the capture), over the reassembly bound or malformed"
        sentence += "; \(midstream) TLS flow(s) were picked up mid-stream without a hello, so their versions are unknown"
        sentence += "; \(lost) flow(s), segment(s) or endpoint(s) were dropped at the sensor's limits (evictions, full pools, snap length)."
        if parsed == seen && incomplete == 0 && midstream == 0 && lost == 0 {
            sentence += " Nothing the sensor saw went unaccounted for."
        } else {
            sentence += " Read \"no early TLS\" with that in mind."
        }
        return sentence + " Packets lost before the sensor (span port, kernel drops) are not in the inventory: see the capture's stats."
    }

    private var endpointTable: String {
        let showPrints = posture.hasFingerprints
        var header = ["Risk", "Endpoint", "Role", "Side to blame", "Versions (sessions)", "Blamed sessions", "First seen", "Last seen"]
        // Fingerprints/labels column: from the sessions' `ja4`/`ja3`/`label`, shown when any session has them.
        if showPrints { header.append("Fingerprints / labels") }
        header.append("What to do")
        var rows = ""
        for (rank, endpoint) in posture.endpoints.enumerated() {
            let versions = endpoint.versions.sorted { Posture.order($0.key, $1.key) }.map { "\($0.key) ×\($0.value)" }
            var cells = [
                cell(endpoint.worst ?? "–", sort: "\(rank)"),
                cell(([endpoint.address] + endpoint.serverNames.sorted().map { "SNI " + $0 }).joined(separator: "\n"), className: "endpoint"),
                cell(endpoint.role), cell(endpoint.side),
                cell(versions.joined(separator: ", ")), cell("\(endpoint.sessions)"),
                cell(timestamp(endpoint.firstSeen)), cell(timestamp(endpoint.lastSeen)),
            ]
            if showPrints {
                let text = (endpoint.labels.sorted() + endpoint.fingerprints.sorted()).joined(separator: "\n")
                cells.append(cell(text.isEmpty ? "–" : text, className: "print"))
            }
            cells.append(cell(endpoint.advice ?? adviceFallback(endpoint)))
            rows += "<tr class=\"tier-\(endpoint.riskTier)\">\(cells.joined())</tr>\n"
        }
        let empty = posture.endpoints.isEmpty ? "<p>No endpoint needs an upgrade.</p>" : ""
        return """
        <section id="endpoints"><h2>Endpoints to upgrade (\(posture.endpoints.count))</h2>
        <p>Each endpoint is the side that must change (<code>early_tls_side</code>) for its blamed sessions: early TLS \
        negotiated, or an early-only hello a server refused. Riskiest first: SSLv2/SSLv3, then TLS 1.0, then TLS 1.1, \
        then by blamed sessions. Click a column header to sort.</p>\(empty)
        \(table(id: "endpoint-table", header: header, rows: rows))</section>
        """
    }

    private var counterTable: String {
        guard let counters = posture.counters else { return "" }
        let rows = counters.map { "<tr>\(cell($0.name))\(cell("\($0.value)", className: "number"))</tr>\n" }.joined()
        return """
        <section id="counters"><h2>Sensor counters</h2>
        <p>Summed over the inventories given. Non-zero drops, evictions and incomplete hellos mean sessions may be missing above.</p>
        \(table(id: "counter-table", header: ["counter", "value"], rows: rows))</section>
        """
    }

    private func table(id: String, header: [String], rows: String) -> String {
        let headings = header.map { "<th scope=\"col\"><button type=\"button\">\(escapeHTML($0))</button></th>" }.joined()
        return "<table id=\"\(id)\" class=\"sortable\"><thead><tr>\(headings)</tr></thead><tbody>\n\(rows)</tbody></table>"
    }

    private func cell(_ text: String, sort: String? = nil, className: String? = nil) -> String {
        let sortAttribute = sort.map { " data-sort=\"\(escapeHTML($0))\"" } ?? ""
        let classAttribute = className.map { " class=\"\($0)\"" } ?? ""
        return "<td\(sortAttribute)\(classAttribute)>\(escapeHTML(text))</td>"
    }

    private func timestamp(_ date: Date?) -> String {
        guard let date else { return "–" }
        return date.formatted(Date.ISO8601FormatStyle()).replacingOccurrences(of: "T", with: " ")
    }

    private func adviceFallback(_ endpoint: Posture.Endpoint) -> String {
        endpoint.side == "client" ? "upgrade this client's TLS stack" : "enable \(posture.minimumVersion)+ in this server's settings"
    }

    static let style = """
    body { font: 15px/1.45 system-ui, "DejaVu Sans", sans-serif; color: #1a1a1a; max-width: 1120px; margin: 24px auto; padding: 0 16px; }
    h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 19px; margin: 28px 0 8px; border-bottom: 1px solid #ccc; }
    .meta { color: #444; margin: 0; } code { font-size: 13px; }
    .figures { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; margin-top: 20px; }
    .figure { border: 2px solid #333; padding: 10px 14px; }
    .figure .value { display: block; font-size: 34px; font-weight: 700; }
    .figure .label { color: #333; }
    .chart { width: 100%; height: auto; font-size: 14px; }
    .chart .role { font-weight: 700; } .chart .axis { fill: #444; } .chart .early { font-weight: 700; }
    table { border-collapse: collapse; width: 100%; font-size: 13.5px; }
    th, td { border: 1px solid #bbb; padding: 4px 6px; text-align: left; vertical-align: top; }
    td.endpoint { white-space: pre-line; overflow-wrap: anywhere; min-width: 13em; }
    td.print { font-family: "DejaVu Sans Mono", monospace; font-size: 12px; white-space: pre-line; word-break: break-all; }
    td.number { text-align: right; }
    th { background: #eee; } th button { font: inherit; font-weight: 700; border: 0; background: none; padding: 0; cursor: pointer; text-align: left; }
    th button::after { content: " \\2195"; color: #777; }
    th[aria-sort=ascending] button::after { content: " \\25B2"; } th[aria-sort=descending] button::after { content: " \\25BC"; }
    tr.tier-0 td:first-child { font-weight: 700; text-decoration: underline; }
    tr.tier-0 td:first-child::before { content: "!! "; } tr.tier-1 td:first-child::before { content: "! "; }
    #counter-table { width: auto; min-width: 40%; }
    @media print {
      body { margin: 0; max-width: none; font-size: 12px; }
      section { break-inside: avoid; } #endpoints, #counters { break-inside: auto; }
      th button::after { content: none; } tr { break-inside: avoid; }
    }
    """

    /// Sorts a table by the clicked column: by `data-sort` when a cell has one, numerically when
    /// both values are numbers, else as text. Marks the body when done, for the browser test.
    static let script = """
    document.querySelectorAll("table.sortable th button").forEach(function (button) {
      button.addEventListener("click", function () {
        var th = button.parentElement, column = th.cellIndex, table = th.closest("table"), body = table.tBodies[0];
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        table.querySelectorAll("th").forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        function key(row) { var cell = row.cells[column]; return cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent; }
        Array.from(body.rows).sort(function (a, b) {
          var x = key(a), y = key(b), numeric = x !== "" && y !== "" && !isNaN(x) && !isNaN(y);
          var order = numeric ? Number(x) - Number(y) : x.localeCompare(y);
          return ascending ? order : -order;
        }).forEach(function (row) { body.appendChild(row); });
      });
    });
    document.body.setAttribute("data-script", "ready");
    """
}
