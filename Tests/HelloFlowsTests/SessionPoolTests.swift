import Testing
import HelloFlows
import HelloWire

@Suite struct SessionPoolTests {
    /// `pool.take()`, which `#require` cannot call on a pool it may not copy; -1 when full.
    func take(_ pool: inout SessionPool) -> Int32 { pool.take() ?? -1 }

    /// The record's bytes, to compare slots whole.
    func bytes(_ pool: borrowing SessionPool, _ slot: Int32) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: pool.pointer(slot), count: MemoryLayout<SessionRecord>.size))
    }

    @Test("a slot reset and given back blank comes out again as a never-used slot does, and is taken first")
    func blankSlotsComeBackBlank() throws {
        var pool = SessionPool(capacity: 3)
        let untouched = take(&pool)
        try #require(untouched >= 0)
        let written = take(&pool)
        let session = pool.pointer(written)
        session.pointee.serverName.assign("relay.example")
        session.pointee.negotiated = .tls10
        session.pointee.status = .negotiated
        session.pointee.offered.add(.tls12)
        session.pointee.fingerprints.ja3.assign("a99a51d69e41d5a494d946aea251f0d3")
        #expect(bytes(pool, written) != bytes(pool, untouched))
        SessionPool.reset(session)
        pool.releaseBlank(written)
        #expect(pool.inUse == 1)
        // The never-used third slot waits: a blank slot is reused first.
        let again = take(&pool)
        #expect(again == written)
        #expect(bytes(pool, again) == bytes(pool, untouched))
        #expect(pool.inUse == 2)
    }

    @Test("a slot given back as it was written is made blank when taken again")
    func writtenSlotsAreMadeBlank() throws {
        var pool = SessionPool(capacity: 2)
        let untouched = take(&pool)
        try #require(untouched >= 0)
        let written = take(&pool)
        pool.pointer(written).pointee.serverName.assign("manager.example")
        pool.pointer(written).pointee.earlyTLS = true
        pool.release(written)
        let again = take(&pool)
        #expect(again == written)
        #expect(bytes(pool, again) == bytes(pool, untouched))
    }
}
