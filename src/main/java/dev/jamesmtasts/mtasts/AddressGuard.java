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
 * reserved and broadcast ({@code 240/4}), IPv6 unique-local ({@code fc00::/7}) and site-local
 * ({@code fec0::/10}), and any of the IPv4 ones written as IPv4-mapped ({@code ::ffff:a.b.c.d}) or
 * IPv4-compatible ({@code ::a.b.c.d}) IPv6 addresses.
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
