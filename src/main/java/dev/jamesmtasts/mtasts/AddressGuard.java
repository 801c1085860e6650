package dev.jamesmtasts.mtasts;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Refuses addresses a policy host must not have, unless explicitly allowed: a recipient domain
 * chooses the name {@code mta-sts.<domain>} resolves to, and without this guard it could make the
 * mail server open connections into its own network (server-side request forgery; RFC 8461 §10
 * leaves this to the implementer).
 *
 * <p>Refused: unspecified ({@code 0.0.0.0/8}, {@code ::}), loopback ({@code 127/8}, {@code ::1}),
 * RFC 1918 ({@code 10/8}, {@code 172.16/12}, {@code 192.168/16}), shared/CGNAT ({@code 100.64/10}),
 * link-local ({@code 169.254/16}, {@code fe80::/10}), multicast ({@code 224/4}, {@code ff00::/8}),
 * reserved and broadcast ({@code 240/4}), IETF protocol assignments ({@code 192.0.0.0/24}, RFC 6890),
 * benchmarking ({@code 198.18.0.0/15}, RFC 2544), IPv6 unique-local ({@code fc00::/7}) and site-local
 * ({@code fec0::/10}), and any of the IPv4 ones written as an IPv6 address that carries an IPv4
 * address a translator or relay would connect to:
 * <ul>
 *   <li>IPv4-mapped ({@code ::ffff:a.b.c.d}) and IPv4-compatible ({@code ::a.b.c.d});</li>
 *   <li>the NAT64 well-known prefix {@code 64:ff9b::/96} (RFC 6052: IPv4 in the last 32 bits);</li>
 *   <li>6to4 {@code 2002::/16} (RFC 3056: IPv4 in bits 16 to 47).</li>
 * </ul>
 * The NAT64 local-use prefix {@code 64:ff9b:1::/48} (RFC 8215) is refused whole: each network chooses
 * how its translator embeds the IPv4 address there (RFC 6052 §2.2 prefix lengths /48 to /96), so the
 * target cannot be read from the address, and the translator it reaches is by definition the
 * operator's own.
 */
final class AddressGuard {
    private AddressGuard() {
    }

    /** Why {@code address} is refused, or null when it is a public address. */
    static String refusal(InetAddress address) {
        byte[] b = address.getAddress();
        if (address instanceof Inet6Address) {
            if (isEmbeddedIpv4(b)) {
                byte[] v4 = new byte[] {b[12], b[13], b[14], b[15]};
                String why = refusalV4(v4);
                if (why == null && b[10] == 0) {
                    // ::a.b.c.d with a public IPv4 is still a deprecated, never-routed form.
                    why = "IPv4-compatible IPv6";
                }
                return why == null ? null : why + " (IPv6 form)";
            }
            if (isNat64LocalUse(b)) {
                return "NAT64 local-use prefix 64:ff9b:1::/48 (RFC 8215)";
            }
            byte[] v4 = nat64WellKnown(b) ? new byte[] {b[12], b[13], b[14], b[15]}
                    : sixToFour(b) ? new byte[] {b[2], b[3], b[4], b[5]} : null;
            if (v4 != null) {
                String why = refusalV4(v4);
                return why == null ? null : why + " (" + (b[0] == 0x20 ? "6to4" : "NAT64") + " form)";
            }
            return refusalV6(b);
        }
        if (address instanceof Inet4Address) {
            return refusalV4(b);
        }
        return "unknown address family";
    }

    private static boolean isEmbeddedIpv4(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        boolean mapped = (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
        boolean compatible = b[10] == 0 && b[11] == 0
                // :: and ::1 are their own IPv6 cases, handled below as unspecified/loopback
                && !(b[12] == 0 && b[13] == 0 && b[14] == 0 && (b[15] == 0 || b[15] == 1));
        return mapped || compatible;
    }

    /** 64:ff9b::/96, the NAT64 well-known prefix (RFC 6052 §2.1). */
    private static boolean nat64WellKnown(byte[] b) {
        if (b[0] != 0 || b[1] != 0x64 || (b[2] & 0xff) != 0xff || (b[3] & 0xff) != 0x9b) {
            return false;
        }
        for (int i = 4; i < 12; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** 64:ff9b:1::/48, the NAT64 local-use prefix (RFC 8215). */
    private static boolean isNat64LocalUse(byte[] b) {
        return b[0] == 0 && b[1] == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b && b[4] == 0 && b[5] == 1;
    }

    /** 2002::/16, 6to4 (RFC 3056 §2). */
    private static boolean sixToFour(byte[] b) {
        return b[0] == 0x20 && b[1] == 0x02;
    }

    private static String refusalV4(byte[] b) {
        int a0 = b[0] & 0xff;
        int a1 = b[1] & 0xff;
        if (a0 == 0) {
            return "unspecified/this-network";
        }
        if (a0 == 127) {
            return "loopback";
        }
        if (a0 == 10 || (a0 == 172 && (a1 & 0xf0) == 16) || (a0 == 192 && a1 == 168)) {
            return "private (RFC 1918)";
        }
        if (a0 == 100 && (a1 & 0xc0) == 64) {
            return "shared address space (CGNAT, RFC 6598)";
        }
        if (a0 == 169 && a1 == 254) {
            return "link-local";
        }
        if (a0 == 192 && a1 == 0 && (b[2] & 0xff) == 0) {
            return "IETF protocol assignments (192.0.0.0/24, RFC 6890)";
        }
        if (a0 == 198 && (a1 & 0xfe) == 18) {
            return "benchmarking (198.18.0.0/15, RFC 2544)";
        }
        if (a0 >= 224 && a0 <= 239) {
            return "multicast";
        }
        if (a0 >= 240) {
            return "reserved/broadcast";
        }
        return null;
    }

    private static String refusalV6(byte[] b) {
        InetAddress a;
        try {
            a = InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            return "malformed";
        }
        if (a.isAnyLocalAddress()) {
            return "unspecified";
        }
        if (a.isLoopbackAddress()) {
            return "loopback";
        }
        if (a.isMulticastAddress()) {
            return "multicast";
        }
        if (a.isLinkLocalAddress()) {
            return "link-local";
        }
        if (a.isSiteLocalAddress()) {
            return "site-local";
        }
        if ((b[0] & 0xfe) == 0xfc) {
            return "unique-local (fc00::/7)";
        }
        return null;
    }
}
