package dev.jamesmtasts.dane;

import dev.jamesmtasts.mtasts.DnssecAnswer;
import dev.jamesmtasts.mtasts.DnssecResolver;

/**
 * The three DNSSEC-validated lookups DANE for SMTP needs (RFC 7672 §2.2): the MX RRset of a domain, the
 * address records of an MX host, the TLSA RRset at {@code _25._tcp.<host>}. {@link DnssecResolver} asks the
 * network each time; {@link DnssecCache} keeps the answers for their TTL.
 */
public interface DnssecLookups {
    DnssecAnswer mx(String domain);

    DnssecAnswer address(String host);

    DnssecAnswer tlsa(String host);

    /** The resolver itself, uncached. */
    static DnssecLookups of(DnssecResolver resolver) {
        return new DnssecLookups() {
            @Override
            public DnssecAnswer mx(String domain) {
                return resolver.mx(domain);
            }

            @Override
            public DnssecAnswer address(String host) {
                return resolver.address(host);
            }

            @Override
            public DnssecAnswer tlsa(String host) {
                return resolver.tlsa(host);
            }
        };
    }
}
