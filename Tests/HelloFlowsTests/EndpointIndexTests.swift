import Testing
@testable import HelloFlows
import HelloWire

@Suite struct EndpointIndexTests {
    @Test("every key is found at the position it was given, through growth, roles sharing an address, and both sides")
    func findsEveryKeyItHolds() {
        var index = EndpointIndex()
        var keys: [Inventory.Key] = []
        let roles = ["agent", "manager", "relay"]
        // 3 000 addresses; every seventh also in other roles and on the other side, which
        // share the address's hash and so its probe run.
        for number in 0 ..< 3_000 {
            let address = IPAddress(ipv4: 0x0a00_0000 + UInt32(number))
            var variants = [Inventory.Key(address: address, role: "agent", side: .client)]
            if number % 7 == 0 {
                variants += roles.dropFirst().map { Inventory.Key(address: address, role: $0, side: .client) }
                variants.append(Inventory.Key(address: address, role: "agent", side: .server))
            }
            for key in variants {
                let (known, slot) = index.find(key, in: keys)
                #expect(known == nil)
                keys.append(key)
                index.insert(keys.count - 1, at: slot, keys: keys)
            }
        }
        var misplaced = 0
        for (position, key) in keys.enumerated() where index.find(key, in: keys).position != position { misplaced += 1 }
        #expect(misplaced == 0)
        let stranger = Inventory.Key(address: IPAddress(ipv4: 0x0a00_0000), role: "dsaas", side: .client)
        #expect(index.find(stranger, in: keys).position == nil)
    }
}
