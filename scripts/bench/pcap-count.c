/* The yardstick: a bare libpcap read loop that only counts packets and bytes. */
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char **argv) {
    char errbuf[PCAP_ERRBUF_SIZE];
    if (argc < 2) { fprintf(stderr, "usage: pcap-count FILE\n"); return 2; }
    pcap_t *p = pcap_open_offline(argv[1], errbuf);
    if (!p) { fprintf(stderr, "%s\n", errbuf); return 1; }
    struct pcap_pkthdr *h; const u_char *d;
    unsigned long long packets = 0, bytes = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &d)) == 1) { packets++; bytes += h->caplen; }
    printf("%llu packets %llu bytes\n", packets, bytes);
    pcap_close(p);
    return 0;
}
