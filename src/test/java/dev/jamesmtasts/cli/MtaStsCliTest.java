package dev.jamesmtasts.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.jamesmtasts.testing.MtaStsTestbed;
import dev.jamesmtasts.testing.MtaStsTestbedExtension;
import dev.jamesmtasts.testing.TestDnsServer.Fault;
import dev.jamesmtasts.testing.TestHttpsServer.Response;

/** {@code mta-sts lookup} run in-process against the loopback DNS and HTTPS test servers. */
@ExtendWith(MtaStsTestbedExtension.class)
class MtaStsCliTest {
    /** Set by {@link MtaStsTestbedExtension}. */
    private static MtaStsTestbed bed;
    private static Path caPem;
    private static List<String> resolverOptions;

    @BeforeAll
    static void start(@TempDir Path dir) throws IOException {
        caPem = dir.resolve("ca.pem");
        resolverOptions = bed.cliResolverOptions(caPem);
        bed.publish("good.example", "20240101", MtaStsTestbed.ENFORCE_POLICY);
        bed.dns().txt("_mta-sts.fails.example", "v=STSv1; id=f1;");
        bed.serve("fails.example", Response.status(404));
        bed.dns().fault("_mta-sts.flaky.example", Fault.SERVFAIL);
    }

    private static CliRun run(String... args) {
        return CliRun.run(args);
    }

    private static String[] lookup(String... more) {
        List<String> args = new ArrayList<>(List.of("lookup"));
        args.addAll(resolverOptions);
        args.addAll(Arrays.asList(more));
        return args.toArray(new String[0]);
    }

    @Test
    void jsonGivesOneObjectPerDomainInArgumentOrder() throws IOException {
        CliRun r = run(lookup("--json", "GOOD.example.", "nothing.example", "fails.example", "flaky.example"));
        assertThat(r.status).as(r.err).isZero();
        List<JsonNode> lines = r.jsonLines();
        assertThat(lines).hasSize(4);

        JsonNode good = lines.get(0);
        assertThat(good.get("domain").asText()).isEqualTo("good.example");
        assertThat(good.get("result").asText()).isEqualTo("policy");
        assertThat(good.get("record").get("id").asText()).isEqualTo("20240101");
        assertThat(good.get("policy").get("mode").asText()).isEqualTo("enforce");
        assertThat(good.get("policy").get("mx")).extracting(JsonNode::asText)
                .containsExactly("mx1.example.net", "*.example.org");
        assertThat(good.get("policy").get("max_age").asLong()).isEqualTo(86400);
        assertThat(good.has("reason")).isTrue();

        JsonNode none = lines.get(1);
        assertThat(none.get("domain").asText()).isEqualTo("nothing.example");
        assertThat(none.get("result").asText()).isEqualTo("none");
        assertThat(none.has("record")).isFalse();
        assertThat(none.has("policy")).isFalse();
        assertThat(none.get("reason").asText()).contains("NXDOMAIN");

        JsonNode fails = lines.get(2);
        assertThat(fails.get("result").asText()).isEqualTo("fetch-error");
        assertThat(fails.get("record").get("id").asText()).isEqualTo("f1");
        assertThat(fails.has("policy")).isFalse();
        assertThat(fails.get("reason").asText()).contains("HTTP_STATUS").contains("404");

        JsonNode flaky = lines.get(3);
        assertThat(flaky.get("result").asText()).isEqualTo("temporary");
        assertThat(flaky.get("reason").asText()).contains("SERVFAIL");
    }

    @Test
    void humanOutputExplainsEachResult() {
        CliRun r = run(lookup("good.example", "fails.example"));
        assertThat(r.status).isZero();
        assertThat(r.out).contains("good.example: policy (record id 20240101)")
                .contains("mode:    enforce")
                .contains("mx:      *.example.org")
                .contains("max_age: 86400")
                .contains("fails.example: fetch-error (record id f1)")
                .contains("reason:  HTTP_STATUS");
        assertThat(r.out.indexOf("good.example")).isLessThan(r.out.indexOf("fails.example"));
    }

    @Test
    void privatePolicyHostIsRefusedWithoutTheOption() throws IOException {
        CliRun r = run("lookup", "--json", "--resolver", "127.0.0.1:" + bed.dns().port(), "--trust-store", caPem.toString(),
                "--policy-port", String.valueOf(bed.https().port()), "good.example");
        assertThat(r.status).isZero();
        JsonNode line = r.jsonLines().get(0);
        assertThat(line.get("result").asText()).isEqualTo("fetch-error");
        assertThat(line.get("reason").asText()).contains("ADDRESS_REFUSED").contains("127.0.0.1");
    }

    @Test
    void timeoutOptionBoundsTheFetch() throws IOException {
        bed.serve("slow.example", Response.ok(MtaStsTestbed.ENFORCE_POLICY).trickle(Duration.ofSeconds(1)));
        bed.dns().txt("_mta-sts.slow.example", "v=STSv1; id=s1;");
        String[] args = lookup("--json", "slow.example");
        args[Arrays.asList(args).indexOf("--timeout") + 1] = "1";
        CliRun r = run(args);
        assertThat(r.status).isZero();
        assertThat(r.jsonLines().get(0).get("reason").asText()).contains("TIMEOUT");
    }

    @Test
    void usageErrorsExitWithTwoAndPrintTheUsage() {
        for (String[] args : List.of(
                new String[] {},
                new String[] {"frobnicate"},
                new String[] {"lookup"},
                new String[] {"lookup", "--bogus", "a.example"},
                new String[] {"lookup", "--resolver"},
                new String[] {"lookup", "--policy-port", "70000", "a.example"},
                new String[] {"lookup", "--timeout", "-1", "a.example"},
                new String[] {"lookup", "--trust-store", "/nonexistent/ca.pem", "a.example"},
                new String[] {"lookup", "a..example"})) {
            CliRun r = run(args);
            assertThat(r.status).as(String.join(" ", args)).isEqualTo(2);
            assertThat(r.err).as(String.join(" ", args)).contains("usage:");
            assertThat(r.out).isEmpty();
        }
    }

    @Test
    void helpGoesToStdoutWithStatusZero() {
        CliRun r = run("--help");
        assertThat(r.status).isZero();
        assertThat(r.out).contains("lookup [OPTIONS] DOMAIN...").contains("--resolver");
    }
}
