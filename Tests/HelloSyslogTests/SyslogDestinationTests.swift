import Testing
@testable import HelloSyslog

@Suite struct SyslogDestinationTests {
    @Test(arguments: [
        ("unix:///dev/log", SyslogDestination(transport: .unix, path: "/dev/log")),
        ("udp://127.0.0.1:15514", SyslogDestination(transport: .udp, host: "127.0.0.1", port: 15514)),
        ("udp://siem.example.com", SyslogDestination(transport: .udp, host: "siem.example.com", port: 514)),
        ("TCP://siem.example.com:601/", SyslogDestination(transport: .tcp, host: "siem.example.com", port: 601)),
        ("tls://siem.example.com", SyslogDestination(transport: .tls, host: "siem.example.com", port: 6514)),
        ("tls://[::1]:16514", SyslogDestination(transport: .tls, host: "::1", port: 16514)),
        ("udp://[2001:db8::5]", SyslogDestination(transport: .udp, host: "2001:db8::5", port: 514)),
    ])
    func parsesGoodURLs(url: String, expected: SyslogDestination) throws {
        #expect(try SyslogDestination(parsing: url) == expected)
    }

    @Test(arguments: [
        ("/dev/log", "no scheme"),
        ("http://example.com:80", "unknown scheme 'http'"),
        ("unix://dev/log", "the socket path must be absolute"),
        ("udp://", "no host"),
        ("udp://:514", "no host"),
        ("tcp://host:0", "bad port '0'"),
        ("tcp://host:70000", "bad port '70000'"),
        ("tcp://host:abc", "bad port 'abc'"),
        ("tcp://::1:514", "an IPv6 address needs brackets"),
        ("tls://[::1:514", "unclosed '['"),
        ("tls://[::1]x", "expected ':PORT' after ']'"),
        ("tcp://user@host:514", "only HOST:PORT"),
        ("udp://host:514/path", "only HOST:PORT"),
        ("udp://bad host:514", "bad host"),
    ])
    func rejectsBadURLsClearly(url: String, reason: String) {
        #expect {
            try SyslogDestination(parsing: url)
        } throws: { error in
            let text = "\(error)"
            return text.contains(reason) && text.contains(url) && text.contains("udp://HOST:PORT")
        }
    }

    @Test func descriptionRoundTrips() throws {
        for url in ["unix:///dev/log", "udp://127.0.0.1:15514", "tcp://siem.example.com:601", "tls://[::1]:6514"] {
            #expect(try SyslogDestination(parsing: url).description == url)
        }
    }
}
