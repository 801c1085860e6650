package dev.jamesmtasts.mtasts;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import dev.jamesmtasts.testing.MtaStsTestbed;

/**
 * Issue 9: the address guard also refuses the special-purpose IPv4 blocks {@code 192.0.0.0/24} and
 * {@code 198.18.0.0/15}, and IPv6 addresses through which a translator or relay would reach a refused
 * IPv4 address: NAT64 ({@code 64:ff9b::/96}, RFC 6052; {@code 64:ff9b:1::/48}, RFC 8215) and 6to4
 * ({@code 2002::/16}, RFC 3056). Classification on literals (no traffic); refusal end to end against
 * the loopback test servers only.
 */
class AddressGuardSpecialRangesTest {

    @ParameterizedTest
    @ValueSource(strings = {
        "192.0.0.0", "192.0.0.1", "192.0.0.170", "192.0.0.255",
        "198.18.0.0", "198.18.0.1", "198.19.255.255",
        "::ffff:192.0.0.8", "::ffff:198.18.5.5"})
    void specialPurposeIpv4BlocksAreRefused(String literal) throws UnknownHostException {
        assertThat(AddressGuard.refusal(InetAddress.getByName(literal))).as(literal).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"191.255.255.255", "192.0.1.0", "198.17.255.255", "198.20.0.0", "192.1.0.0"})
    void neighboursOfThoseBlocksPass(String literal) throws UnknownHostException {
        assertThat(AddressGuard.refusal(InetAddress.getByName(literal))).as(literal).isNull();
    }

    @ParameterizedTest
    @CsvSource({
        "64:ff9b::7f00:1,        loopback",
        "64:ff9b::127.0.0.1,     loopback",
        "64:ff9b::a00:1,         private",
        "64:ff9b::192.168.1.1,   private",
        "64:ff9b::169.254.169.254, link-local",
        "64:ff9b::100.64.0.1,    shared address space",
        "64:ff9b::0.0.0.0,       unspecified",
        "64:ff9b::192.0.0.1,     IETF protocol assignments",
        "64:ff9b::198.18.0.1,    benchmarking",
        "64:ff9b::224.0.0.1,     multicast",
        "2002:7f00:1::1,         loopback",
        "2002:a01:203::1,        private",
        "2002:c0a8:101:1::25,    private",
        "2002:a9fe:a9fe::,       link-local",
        "2002:c612:1::1,         benchmarking",
        "2002::1,                unspecified"})
    void nat64And6to4FormsOfRefusedIpv4AddressesAreRefused(String literal, String why) throws UnknownHostException {
        String refusal = AddressGuard.refusal(InetAddress.getByName(literal));
        assertThat(refusal).as(literal).isNotNull().contains(why);
        assertThat(refusal).as(literal).containsAnyOf("NAT64", "6to4");
    }

    @ParameterizedTest
    @ValueSource(strings = {"64:ff9b:1::1", "64:ff9b:1::808:808", "64:ff9b:1:ffff:ffff:ffff:ffff:ffff", "64:ff9b:1:a::8.8.8.8"})
    void theNat64LocalUsePrefixIsRefusedWhole(String literal) throws UnknownHostException {
        assertThat(AddressGuard.refusal(InetAddress.getByName(literal))).as(literal).contains("local-use");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "64:ff9b::808:808", "64:ff9b::8.8.4.4", "64:ff9b::c000:201",
        "2002:808:808::1", "2002:c000:201::1",
        "2003::1"})
    void nat64And6to4FormsOfPublicIpv4AddressesPass(String literal) throws UnknownHostException {
        assertThat(AddressGuard.refusal(InetAddress.getByName(literal))).as(literal).isNull();
    }

    @Test
    void theEmbeddedAddressIsReadFromTheRightBits() throws UnknownHostException {
        // 64:ff9b::/96 carries the IPv4 address in its last 32 bits, 2002::/16 in bits 16 to 47: a
        // private IPv4 address elsewhere in the address means nothing.
        byte[] nat64 = {0, 0x64, (byte) 0xff, (byte) 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 8, 8, 8, 8};
        byte[] sixToFour = {0x20, 0x02, 8, 8, 8, 8, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1};
        assertThat(AddressGuard.refusal(Inet6Address.getByAddress(null, nat64, -1))).isNull();
        assertThat(AddressGuard.refusal(Inet6Address.getByAddress(null, sixToFour, -1))).isNull();
        // Any non-zero byte between the NAT64 prefix and the IPv4 part leaves the /96 prefix.
        byte[] notNat64 = {0, 0x64, (byte) 0xff, (byte) 0x9b, 0, 0, 0, 0, 0, 0, 0, 1, 127, 0, 0, 1};
        assertThat(AddressGuard.refusal(Inet6Address.getByAddress(null, notNat64, -1))).isNull();
    }

    @Test
    void aPolicyHostReachableOnlyThroughNat64Or6to4ToLoopbackIsRefusedAndNothingIsSent() throws IOException {
        try (MtaStsTestbed bed = MtaStsTestbed.start();
             MtaStsResolver guarded = new MtaStsResolver(bed.settings().allowPrivateAddresses(false).build())) {
            bed.dns().a("mta-sts.translated.example", "198.18.0.25")
                    .aaaa("mta-sts.translated.example", "64:ff9b::7f00:1", "2002:c0a8:1::1", "64:ff9b:1::8.8.8.8");
            PolicyFetchResult r = guarded.fetchPolicy("translated.example");
            assertThat(r.failure()).as(r.toString()).isEqualTo(FetchFailure.ADDRESS_REFUSED);
            assertThat(r.detail()).contains("198.18.0.25").contains("benchmarking")
                    .contains("64:ff9b:0:0:0:0:7f00:1").contains("2002:c0a8:1:0:0:0:0:1").contains("local-use");
            assertThat(bed.https().requests("mta-sts.translated.example")).isZero();
        }
    }
}
