import Foundation
import HelloFuzzing
import Testing

/// Replays saved fuzz inputs through the same code the libFuzzer targets run: inputs the
/// fuzzer found new coverage with (picked from a scripts/fuzz.sh run) and any crash input,
/// once fixed. A crash here is a regression.
@Suite struct CorpusReplayTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus")

    static func inputs(_ target: String) -> [URL] {
        let folder = corpus.appendingPathComponent(target)
        return ((try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? [])
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    static func replay(_ file: URL, _ entry: (UnsafePointer<UInt8>, Int) -> CInt) throws {
        let bytes = [UInt8](try Data(contentsOf: file))
        let result = bytes.isEmpty ? entry([0], 0) : bytes.withUnsafeBufferPointer { entry($0.baseAddress!, $0.count) }
        #expect(result == 0)
    }

    @Test func everyTargetHasInputs() {
        for target in ["FuzzFrame", "FuzzHello", "FuzzFlows"] { #expect(!Self.inputs(target).isEmpty, "\(target)") }
    }

    @Test(arguments: inputs("FuzzFrame")) func frame(_ file: URL) throws { try Self.replay(file, fuzzFrame) }
    @Test(arguments: inputs("FuzzHello")) func hello(_ file: URL) throws { try Self.replay(file, fuzzHello) }
    @Test(arguments: inputs("FuzzFlows")) func flows(_ file: URL) throws { try Self.replay(file, fuzzFlows) }
}
