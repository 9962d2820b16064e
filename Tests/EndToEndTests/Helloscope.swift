import Foundation
import Testing

/// Runs the `helloscope` binary that `swift build` put beside this test bundle.
enum Helloscope {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let captures = packageRoot.appendingPathComponent("Captures")

    static var binary: URL {
        var candidates: [URL] = []
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = executable.deletingLastPathComponent()
        for _ in 0 ..< 4 {
            candidates.append(folder.appendingPathComponent("helloscope"))
            folder = folder.deletingLastPathComponent()
        }
        candidates.append(packageRoot.appendingPathComponent(".build/debug/helloscope"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates.last!
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// `environment`: variables set for the run, on top of this process's. `killAfter`: seconds
    /// after which a run still going is killed (its status then says SIGKILL), so that a run
    /// that hangs fails its test instead of holding up the suite.
    static func run(_ arguments: [String], stdin: URL? = nil, environment: [String: String] = [:],
                    killAfter: Double? = nil) throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        if let stdin { process.standardInput = try FileHandle(forReadingFrom: stdin) }
        try process.run()
        if let killAfter {
            let pid = process.processIdentifier
            DispatchQueue.global().asyncAfter(deadline: .now() + killAfter) {
                if process.isRunning { kill(pid, SIGKILL) }
            }
        }
        // Read before waiting so a full pipe cannot stall the child.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    static func jsonLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { line in
            try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    static func temporaryFile(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("helloscope-test-\(getpid())-\(name)")
    }
}

/// Each bundled capture with its expected results.
struct CaptureCase: CustomTestStringConvertible, Sendable {
    var capture: URL
    var expected: URL
    var testDescription: String { capture.lastPathComponent }

    static var all: [CaptureCase] {
        let files = (try? FileManager.default.contentsOfDirectory(at: Helloscope.captures, includingPropertiesForKeys: nil)) ?? []
        return files.filter { $0.lastPathComponent.hasSuffix(".expected.jsonl") }.sorted { $0.path < $1.path }.compactMap { expected in
            let stem = expected.lastPathComponent.replacingOccurrences(of: ".expected.jsonl", with: "")
            guard let capture = files.first(where: { $0.deletingPathExtension().lastPathComponent == stem && !$0.path.hasSuffix(".jsonl") })
            else { return nil }
            return CaptureCase(capture: capture, expected: expected)
        }
    }
}
