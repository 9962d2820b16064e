// swift-tools-version: 6.2
import PackageDescription

// The packet path's modules let the modules that use them inline and specialise their code,
// not only their small functions (the default): `FlowTracker` is generic over its sink, and
// unspecialised it reached `analyze`'s sink through witness tables on every session (callgrind,
// 20 000 handshakes: the tracking thread −13 % instructions, the run −5.2 %; imix −3.6 %).
let crossModuleOptimized: [SwiftSetting] = [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]

let package = Package(
    name: "HelloScope",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "helloscope", targets: ["helloscope"]),
        // What the fuzz targets in Fuzz/ run, also replayed by the tests.
        .library(name: "HelloFuzzing", targets: ["HelloFuzzing"]),
        // For the ordo-one/benchmark suite in Benchmarks/ (a package of its own).
        .library(name: "HelloWire", targets: ["HelloWire"]),
        .library(name: "HelloFlows", targets: ["HelloFlows"]),
        .library(name: "HelloCapture", targets: ["HelloCapture"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.29.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CPcap",
            path: "Sources/CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        .target(name: "HelloWire", swiftSettings: crossModuleOptimized),
        // A cache prefetch, which Swift cannot express.
        .target(name: "CPrefetch"),
        // Disk blocks reserved ahead of a file's writes (fallocate), which Swift's Glibc lacks.
        .target(name: "CFileSpace"),
        // Thread names (pthread_setname_np), which Swift's Glibc lacks too.
        .target(name: "CThreadName"),
        .target(name: "HelloFlows", dependencies: ["HelloWire", "HelloFingerprint", "CPrefetch"], swiftSettings: crossModuleOptimized),
        .target(
            name: "HelloFingerprint",
            dependencies: ["HelloWire", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: crossModuleOptimized
        ),
        .target(name: "HelloCapture", dependencies: ["CPcap", "CPrefetch", "CThreadName"], swiftSettings: crossModuleOptimized),
        .target(name: "HelloFuzzing", dependencies: ["HelloWire", "HelloFlows", "HelloFingerprint"]),
        .target(name: "HelloOutput", dependencies: ["HelloFlows", "HelloWire", "HelloFingerprint", "CPrefetch"], swiftSettings: crossModuleOptimized),
        // Syslog alerts (formats, alert policy, UDP/TCP/TLS senders); NIO only here.
        .target(
            name: "HelloSyslog",
            dependencies: [
                "HelloFlows", "HelloWire", "HelloFingerprint",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // `helloscope report`: session JSON and inventories in, one self-contained HTML page out.
        .target(name: "HelloReport", dependencies: ["HelloFlows", "HelloWire"]),
        .executableTarget(
            name: "helloscope",
            dependencies: [
                "HelloWire", "HelloFlows", "HelloCapture", "HelloOutput",
                "HelloReport", "HelloSyslog", "CFileSpace",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The packet path's throughput and allocations per stage (scripts/bench.sh).
        .executableTarget(name: "helloscope-bench", dependencies: ["HelloWire", "HelloFingerprint", "HelloFlows", "HelloCapture"]),
        // Frames and hellos built byte by byte from the RFCs, for the wire and flow tests.
        .target(name: "FrameTestSupport", dependencies: ["HelloWire"], path: "Tests/FrameTestSupport"),
        .testTarget(name: "HelloWireTests", dependencies: ["HelloWire", "FrameTestSupport"]),
        .testTarget(name: "HelloFlowsTests", dependencies: ["HelloFlows", "HelloFingerprint", "HelloWire", "FrameTestSupport"]),
        .testTarget(name: "HelloFingerprintTests", dependencies: ["HelloFingerprint", "HelloWire"]),
        .testTarget(name: "HelloOutputTests", dependencies: ["HelloOutput", "HelloWire", "FrameTestSupport"]),
        .testTarget(name: "HelloCaptureTests", dependencies: ["HelloCapture"]),
        // A throwaway rsyslogd on loopback and strict parsers for what it writes (RFC 5424,
        // RFC 3164, CEF, LEEF, JSON), for the syslog and end-to-end tests. Foundation only.
        .target(name: "SyslogTestSupport", path: "Tests/SyslogTestSupport"),
        .testTarget(name: "HelloSyslogTests",
                    dependencies: ["HelloSyslog", "HelloFlows", "HelloWire", "HelloFingerprint", "SyslogTestSupport"]),
        // Runs the built `helloscope` binary: `swift test` builds it with the tests.
        .testTarget(name: "EndToEndTests",
                    dependencies: ["SyslogTestSupport", .product(name: "Crypto", package: "swift-crypto")]),
        // Also renders the bundled captures' report in headless Chromium (scripts/render-report.sh).
        .testTarget(name: "HelloReportTests", dependencies: ["HelloReport"]),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["HelloFuzzing"], exclude: ["Corpus"]),
    ],
    swiftLanguageModes: [.v6]
)
