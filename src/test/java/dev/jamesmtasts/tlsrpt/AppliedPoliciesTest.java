package dev.jamesmtasts.tlsrpt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

/** {@link AppliedPolicies} (reuse of a domain's applied policy) and {@link AppliedPolicy#lines}. */
class AppliedPoliciesTest {
    private static final String TEXT = "version: STSv1\r\nmode: enforce\r\nmx: mx.a.example\r\nmax_age: 86400\r\n";

    @Test
    void theSamePolicyOfADomainGivesTheSameInstanceEqualToAFreshOne() {
        AppliedPolicies cache = new AppliedPolicies(10);
        AppliedPolicy first = cache.sts("a.example", TEXT, new ArrayList<>(List.of("mx.a.example")));
        // an equal text in another String object, a new list of the patterns: as on the next attempt
        AppliedPolicy again = cache.sts("a.example", new String(TEXT), new ArrayList<>(List.of("mx.a.example")));

        assertThat(again).isSameAs(first);
        assertThat(first).isEqualTo(AppliedPolicy.sts("a.example", TEXT, List.of("mx.a.example")));
        assertThat(first.policyString()).containsExactly("version: STSv1", "mode: enforce", "mx: mx.a.example",
                "max_age: 86400");
        assertThat(cache.none("b.example")).isSameAs(cache.none("b.example")).isEqualTo(AppliedPolicy.none("b.example"));
    }

    @Test
    void aChangedPolicyTextOrMxListReplacesTheDomainsEntry() {
        AppliedPolicies cache = new AppliedPolicies(10);
        AppliedPolicy first = cache.sts("a.example", TEXT, List.of("mx.a.example"));
        String changed = TEXT.replace("enforce", "testing");
        AppliedPolicy testing = cache.sts("a.example", changed, List.of("mx.a.example"));
        AppliedPolicy otherMx = cache.sts("a.example", changed, List.of("mx2.a.example"));

        assertThat(testing).isNotEqualTo(first).isEqualTo(AppliedPolicy.sts("a.example", changed, List.of("mx.a.example")));
        assertThat(otherMx).isNotEqualTo(testing).isEqualTo(AppliedPolicy.sts("a.example", changed, List.of("mx2.a.example")));
        assertThat(cache.sts("a.example", changed, List.of("mx2.a.example"))).isSameAs(otherMx);
        assertThat(cache.sts("b.example", TEXT, List.of("mx.a.example"))).isNotEqualTo(first); // another domain
    }

    @Test
    void itHoldsAtMostMaxDomainsPerKind() {
        AppliedPolicies cache = new AppliedPolicies(3);
        for (int i = 0; i < 100; i++) {
            String d = "d" + i + ".example";
            assertThat(cache.sts(d, TEXT, List.of("mx." + d)).policyDomain()).isEqualTo(d);
            assertThat(cache.none(d).policyDomain()).isEqualTo(d);
            assertThat(cache.size()).isLessThanOrEqualTo(6);
        }
    }

    @Test
    void aSuccessfulSessionIsThePolicysOneSharedResult() {
        AppliedPolicy p = AppliedPolicy.sts("a.example", TEXT, List.of("mx.a.example"));

        assertThat(SessionResult.success(p)).isSameAs(SessionResult.success(p));
        assertThat(SessionResult.success(p).policy()).isSameAs(p);
        assertThat(SessionResult.success(p).successful()).isTrue();
        assertThat(SessionResult.success(p)).isEqualTo(SessionResult.success(
                AppliedPolicy.sts("a.example", TEXT, List.of("mx.a.example"))));
    }

    @Test
    void linesSplitAtLfOrCrlfAndDropTrailingEmptyLinesAsTheRegularExpressionDid() {
        for (String text : new String[] {"a\nb", "a\r\nb\r\n", "a\n\nb\n\n\n", "a\rb\nc", "\r\n", "\n", "a",
                "a\r", "a\r\r\nb", "\na\n", "x\r\n\r\ny", "v: 1\nmx: *.e\r\n", "trailing\r"}) {
            String[] parts = text.split("\r?\n", -1);
            int n = parts.length;
            while (n > 0 && parts[n - 1].isEmpty()) {
                n--;
            }
            assertThat(AppliedPolicy.lines(text)).as(text.replace("\r", "\\r").replace("\n", "\\n"))
                    .isEqualTo(Arrays.asList(parts).subList(0, n));
        }
        assertThat(AppliedPolicy.lines(null)).isEmpty();
        assertThat(AppliedPolicy.lines("")).isEmpty();
    }
}
