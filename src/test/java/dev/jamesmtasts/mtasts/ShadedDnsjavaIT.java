package dev.jamesmtasts.mtasts;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Type;

import dev.jamesmtasts.testing.TestDnsServer;
import dev.jamesmtasts.testing.TestDnsServer.SignatureFault;

/**
 * The packaged plugin jar (target/extensions-jars, after {@code package}) carries its own dnsjava,
 * relocated, and works beside James's dnsjava 3.5.2: the jar is loaded the way James 3.8.1 loads
 * extensions-jars (a child class loader, parent first) under a parent holding James's class path
 * (run/james-classpath.txt when bin/demo or bin/james-mta-sts made it; else dnsjava 3.5.2 and
 * slf4j-api from the local Maven repository), and its {@link DnssecResolver} validates signed test
 * zones with the relocated 3.6 validator and that validator's own message bundle.
 */
class ShadedDnsjavaIT {
    private static final Path ROOT = Path.of(System.getProperty("project.basedir", ".")).toAbsolutePath().normalize();
    private static TestDnsServer dns;

    @BeforeAll
    static void zones() throws IOException {
        dns = TestDnsServer.start();
        dns.signedZone(".").signedZone("test.").signedZone("example.test.");
        dns.tlsa("_25._tcp.mx.example.test.", 3, 1, 1, new byte[32])
                .tlsa("_25._tcp.bad.example.test.", 3, 1, 1, new byte[32])
                .signatureFault("_25._tcp.bad.example.test.", Type.TLSA, SignatureFault.BAD_SIGNATURE)
                .fault("_25._tcp.broken.example.test.", TestDnsServer.Fault.SERVFAIL);
    }

    @AfterAll
    static void stop() {
        dns.close();
    }

    @Test
    void thePluginJarHoldsDnsjavaRelocatedAndNothingUnderOrgXbill() throws IOException {
        try (ZipFile jar = new ZipFile(pluginJar().toFile())) {
            List<String> names = new ArrayList<>();
            for (ZipEntry e : Collections.list(jar.entries())) {
                names.add(e.getName());
            }
            assertThat(names).noneMatch(n -> n.contains("org/xbill/"));
            assertThat(names).noneMatch(n -> n.startsWith("META-INF/services/") || n.startsWith("META-INF/versions/"));
            assertThat(names).doesNotContain("messages.properties");
            assertThat(names).contains("dev/jamesmtasts/shaded/dnsjava/dnssec/ValidatingResolver.class",
                    "dev_jamesmtasts_shaded_dnsjava_messages.properties",
                    "dev/jamesmtasts/mtasts/root-trust-anchors.txt");
        }
        try (Stream<Path> bundle = Files.list(pluginJar().getParent())) {
            assertThat(bundle.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("dnsjava"));
        }
    }

    @Test
    void theRelocatedValidatorWorksUnderJamessDnsjava() throws Exception {
        // Never closed, as James never closes its extension class loader: the relocated dnsjava's NIO
        // selector thread and JVM shutdown hook live on, and a closed loader would make that hook wait
        // forever at JVM exit (it waits for the selector thread, which dies on its next class load).
        URLClassLoader james = new URLClassLoader(jamesClassPath(), ClassLoader.getPlatformClassLoader());
        URLClassLoader extension = new URLClassLoader(new URL[] {pluginJar().toUri().toURL()}, james);
        {
            // James's own dnsjava is the old one, and the extension's classes do not see it.
            Class<?> jamesMessage = extension.loadClass("org.xbill.DNS.Message");
            assertThat(jamesMessage.getClassLoader()).isSameAs(james);
            Class<?> resolver = extension.loadClass(DnssecResolver.class.getName());
            assertThat(resolver.getClassLoader()).isSameAs(extension);
            Object r = resolver.getConstructor(List.class, Duration.class, Duration.class, String.class)
                    .newInstance(List.of(dns.address()), Duration.ofMillis(700), Duration.ofSeconds(4), dns.trustAnchor("."));
            Object secure = resolver.getMethod("tlsa", String.class).invoke(r, "mx.example.test");
            assertThat(call(secure, "status")).as(String.valueOf(secure)).hasToString("SECURE");
            List<?> records = (List<?>) call(secure, "records");
            assertThat(records).singleElement()
                    .satisfies(t -> assertThat(t.getClass().getName()).isEqualTo("dev.jamesmtasts.shaded.dnsjava.TLSARecord"));
            Object bogus = resolver.getMethod("tlsa", String.class).invoke(r, "bad.example.test");
            assertThat(call(bogus, "status")).as(String.valueOf(bogus)).hasToString("BOGUS");
            // The upstream-SERVFAIL reason is read from the relocated bundle: found, so TEMPORARY.
            java.lang.reflect.Field reason = resolver.getDeclaredField("UPSTREAM_FAILED_REASON");
            reason.setAccessible(true); // package-private, and another class loader's package
            assertThat(reason.get(null)).isNotNull();
            Object broken = resolver.getMethod("tlsa", String.class).invoke(r, "broken.example.test");
            assertThat(call(broken, "status")).as(String.valueOf(broken)).hasToString("TEMPORARY");
        }
    }

    private static Object call(Object target, String method) throws Exception {
        return target.getClass().getMethod(method).invoke(target);
    }

    private static Path pluginJar() throws IOException {
        try (Stream<Path> files = Files.list(ROOT.resolve("target/extensions-jars"))) {
            return files.filter(p -> p.getFileName().toString().startsWith("james-mta-sts-"))
                    .findFirst().orElseThrow(() -> new IllegalStateException("no plugin jar: run mvn package"));
        }
    }

    /** James's class path, or its dnsjava 3.5.2 and slf4j-api alone. */
    private static URL[] jamesClassPath() throws IOException {
        Path file = ROOT.resolve("run/james-classpath.txt");
        List<URL> urls = new ArrayList<>();
        if (Files.isRegularFile(file)) {
            for (String entry : Files.readString(file, StandardCharsets.UTF_8).trim().split(java.io.File.pathSeparator)) {
                urls.add(Path.of(entry).toUri().toURL());
            }
        } else {
            Path repo = Path.of(System.getProperty("user.home"), ".m2", "repository");
            urls.add(repo.resolve("dnsjava/dnsjava/3.5.2/dnsjava-3.5.2.jar").toUri().toURL());
            urls.add(org.slf4j.LoggerFactory.class.getProtectionDomain().getCodeSource().getLocation());
        }
        boolean hasOldDnsjava = urls.stream().anyMatch(u -> u.getPath().endsWith("dnsjava-3.5.2.jar")
                && Files.exists(Path.of(u.getPath())));
        assertThat(hasOldDnsjava).as("James's dnsjava 3.5.2 on the parent class path %s", urls.size() > 5 ? file : urls).isTrue();
        return urls.toArray(new URL[0]);
    }
}
