import Foundation
import Testing
import HelloFlows
import HelloOutput
import HelloWire

/// `analyze` writes the inventory's endpoints in runs, each in a buffer of its own on one of two
/// threads. Put one after the other, the parts must be the document written in one piece.
@Suite struct InventoryDocumentTests {
    @Test("the document's parts, each in its own buffer, make the document written whole")
    func partsMakeTheWholeDocument() throws {
        var inventory = Inventory(roles: RoleTable(), policy: EarlyTLSPolicy())
        // Thousands of distinct clients of mixed fields (MemberRunsTests' seeded mix), some
        // clients twice, so that runs start and end among endpoints of every kind.
        for var session in MemberRunsTests().sessions(6_000) {
            session.client = IPAddress(ipv4: 0x0a00_0001 + UInt32(session.firstSeenNanos / 1_000 % 4_000))
            inventory.add(&session, findings: session.earlyTLS ? ["deep_security_not_strong"] : [])
        }
        let document = InventoryDocument(inventory, counters: Counters(), inputs: ["a.pcap", "b \"quoted\".pcap"])
        var whole: [UInt8] = []
        document.write { piece in
            whole += piece.array
            piece.removeAll()
        }
        #expect(document.endpointCount > 4_000)
        for runLength in [1, 7, 1_024, document.endpointCount - 1, document.endpointCount] {
            var parts: [UInt8] = []
            var head = JSONBytes()
            document.writeHead(into: &head)
            parts += head.array
            for start in stride(from: 0, to: document.endpointCount, by: runLength) {
                var run = JSONBytes()
                document.writeEndpoints(start ..< min(start + runLength, document.endpointCount), into: &run)
                parts += run.array
            }
            var tail = JSONBytes()
            document.writeTail(into: &tail)
            parts += tail.array
            let differsAt = zip(parts, whole).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                ?? (parts.count == whole.count ? nil : min(parts.count, whole.count))
            #expect(differsAt == nil, "runs of \(runLength): the parts differ from the whole from byte \(differsAt ?? 0)")
        }
        let parsed = try #require(JSONSerialization.jsonObject(with: Data(whole)) as? [String: Any])
        #expect((parsed["endpoints"] as? [Any])?.count == document.endpointCount)
    }

    /// Past 16 384 endpoints the order is sorted in two halves on two threads and merged: it must
    /// still be the documented one (needing action first, then by address, role and side).
    @Test("the endpoints of a large inventory in their documented order")
    func largeInventoryInOrder() throws {
        var inventory = Inventory(roles: RoleTable(), policy: EarlyTLSPolicy())
        for var session in MemberRunsTests().sessions(30_000) {
            // Addresses out of the order they arrive in, some twice.
            session.client = IPAddress(ipv4: 0x0a00_0001 &+ UInt32(truncatingIfNeeded: session.firstSeenNanos / 1_000 &* 2_654_435_761 % 25_000))
            inventory.add(&session)
        }
        var bytes: [UInt8] = []
        InventoryDocument(inventory, counters: Counters(), inputs: []).write { piece in
            bytes += piece.array
            piece.removeAll()
        }
        let parsed = try #require(JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        let endpoints = try #require(parsed["endpoints"] as? [[String: Any]])
        #expect(endpoints.count > 1 << 14)
        typealias Place = (action: Int, address: UInt32, role: String, side: String)
        let places: [Place] = endpoints.map {
            let octets = ($0["address"] as? String ?? "").split(separator: ".").compactMap { UInt32($0) }
            return ($0["needs_action"] as? Bool == true ? 0 : 1, octets.reduce(0) { $0 << 8 | $1 },
                    $0["role"] as? String ?? "", $0["side"] as? String ?? "")
        }
        let outOfOrder = places.indices.dropLast().first { index in
            let (this, next) = (places[index], places[index + 1])
            return !((this.action, this.address, this.role, this.side) < (next.action, next.address, next.role, next.side))
        }
        #expect(outOfOrder == nil, "endpoint \(outOfOrder ?? 0) is not before the next")
    }
}
