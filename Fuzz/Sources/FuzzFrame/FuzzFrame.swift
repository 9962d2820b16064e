import HelloFuzzing

// libFuzzer entry point only: the work is in HelloFuzzing, so saved inputs replay in `swift test`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    fuzzFrame(data, size)
}
