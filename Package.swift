// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "HelloScope",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "helloscope", targets: ["helloscope"]),
        // What the fuzz targets in Fuzz/ run, also replayed by the tests.
        .library(name: "HelloFuzzing", targets: ["HelloFuzzing"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CPcap",
            path: "Sources/CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        .target(name: "HelloWire"),
        .target(name: "HelloFlows", dependencies: ["HelloWire", "HelloFingerprint"]),
        .target(
            name: "HelloFingerprint",
            dependencies: ["HelloWire", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(name: "HelloCapture", dependencies: ["CPcap"]),
        .target(name: "HelloFuzzing", dependencies: ["HelloWire", "HelloFlows"]),
        .target(name: "HelloOutput", dependencies: ["HelloFlows", "HelloWire", "HelloFingerprint"]),
        .executableTarget(
            name: "helloscope",
            dependencies: [
                "HelloWire", "HelloFlows", "HelloCapture", "HelloOutput",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "HelloWireTests", dependencies: ["HelloWire"]),
        .testTarget(name: "HelloFlowsTests", dependencies: ["HelloFlows", "HelloWire"]),
        .testTarget(name: "HelloFingerprintTests", dependencies: ["HelloFingerprint", "HelloWire"]),
        // Runs the built `helloscope` binary: `swift test` builds it with the tests.
        .testTarget(name: "EndToEndTests"),
    ],
    swiftLanguageModes: [.v6]
)
