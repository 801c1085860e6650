package dev.jamesmtasts.mtasts;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.jamesmtasts.testing.MtaStsTestbed;
import dev.jamesmtasts.testing.TestHttpsServer.Response;

/**
 * The policy-host address guard: a recipient domain must not make the mail server connect into its
 * own network. Classification is checked on literals (no traffic); the refusal itself end to end
 * against the loopback test servers (never anything outside 127.0.0.0/8).
 */
class AddressGuardTest {

    @ParameterizedTest
    @ValueSource(strings = {
        "0.0.0.0", "0.1.2.3", "127.0.0.1", "127.255.0.9", "10.0.0.1", "172.16.0.1", "172.31.255.255",
        "192.168.1.1", "100.64.0.1", "100.127.255.255", "169.254.169.254", "224.0.0.1", "239.255.255.255",
        "240.0.0.1", "255.255.255.255",
        "::", "::1", "fe80::1", "fec0::1", "fc00::1", "fd12:3456::1", "ff02::1",
        "::ffff:127.0.0.1", "::ffff:10.1.2.3", "::ffff:169.254.1.1", "::127.0.0.1", "::10.0.0.1"})
    void nonPublicAddressesAreRefused(String literal) throws UnknownHostException {
        assertThat(AddressGuard.refusal(InetAddress.getByName(literal))).as(literal).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "192.0.2.1", "198.51.100.7", "8.8.8.8", "172.15.255.255", "172.32.0.1", "100.63.255.255",
        "100.128.0.1", "11.0.0.1", "2001:db8::1", "2a00:1450:4001:80b::200e", "::ffff:192.0.2.1"})
    void publicAddressesPass(String literal) throws UnknownHostException {
        assertThat(AddressGuard.refusal(InetAddress.getByName(literal))).as(literal).isNull();
    }

    @Test
    void ipv4MappedFormsKeptAsIpv6AreJudgedByTheirIpv4Address() throws UnknownHostException {
        // java.net turns ::ffff:a.b.c.d into an Inet4Address; build true Inet6Address objects too.
        byte[] mappedLoopback = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 127, 0, 0, 1};
        byte[] mappedPublic = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, (byte) 192, 0, 2, 1};
        assertThat(AddressGuard.refusal(java.net.Inet6Address.getByAddress(null, mappedLoopback, -1))).contains("loopback");
        assertThat(AddressGuard.refusal(java.net.Inet6Address.getByAddress(null, mappedPublic, -1))).isNull();
    }

    @Test
    void loopbackPolicyHostIsRefusedByDefaultAndNothingIsSent() throws IOException {
        try (MtaStsTestbed bed = MtaStsTestbed.start();
             MtaStsResolver guarded = new MtaStsResolver(bed.settings().allowPrivateAddresses(false).build())) {
            bed.serve("loopback.example", Response.ok(MtaStsTestbed.ENFORCE_POLICY));
            PolicyFetchResult r = guarded.fetchPolicy("loopback.example");
            assertThat(r.failure()).isEqualTo(FetchFailure.ADDRESS_REFUSED);
            assertThat(r.detail()).contains("127.0.0.1").contains("loopback");
            assertThat(bed.https().requests("mta-sts.loopback.example")).isZero();
        }
    }

    @Test
    void everyRefusedAddressIsNamed() throws IOException {
        try (MtaStsTestbed bed = MtaStsTestbed.start();
             MtaStsResolver guarded = new MtaStsResolver(bed.settings().allowPrivateAddresses(false).build())) {
            bed.dns().a("mta-sts.lan.example", "10.1.2.3", "192.168.0.10").aaaa("mta-sts.lan.example", "fd00::25");
            PolicyFetchResult r = guarded.fetchPolicy("lan.example");
            assertThat(r.failure()).isEqualTo(FetchFailure.ADDRESS_REFUSED);
            assertThat(r.detail()).contains("10.1.2.3").contains("192.168.0.10").contains("fd00");
        }
    }

    @Test
    void loopbackPolicyHostIsFetchedWhenAllowed() throws IOException {
        try (MtaStsTestbed bed = MtaStsTestbed.start();
             MtaStsResolver open = new MtaStsResolver(bed.settings().allowPrivateAddresses(true).build())) {
            bed.serve("loopback.example", Response.ok(MtaStsTestbed.ENFORCE_POLICY));
            assertThat(open.fetchPolicy("loopback.example").isSuccess()).isTrue();
        }
    }
}
