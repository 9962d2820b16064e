import ArgumentParser

@main
struct HelloScope: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "helloscope",
        abstract: "Passive TLS handshake analyzer: which versions are negotiated, and who still speaks early TLS.",
        version: "0.1.0",
        subcommands: [Analyze.self, Capture.self, Report.self]
    )
}

/// Exit statuses, documented in the README.
enum ExitStatus {
    static let earlyTLSFound: Int32 = 1
    static let usage: Int32 = 64          // EX_USAGE (ArgumentParser's own for bad flags)
    static let unsupportedInput: Int32 = 65  // EX_DATAERR: a link type we do not decode
    static let inputUnreadable: Int32 = 66   // EX_NOINPUT
    static let outputFailed: Int32 = 74      // EX_IOERR
    static let captureFailed: Int32 = 69     // EX_UNAVAILABLE: an interface went away mid-capture
}
