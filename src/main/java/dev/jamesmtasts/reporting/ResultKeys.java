package dev.jamesmtasts.reporting;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

import dev.jamesmtasts.tlsrpt.AppliedPolicy;
import dev.jamesmtasts.tlsrpt.FailureDetail;

/**
 * The clustering keys of {@code tlsrpt_results}: a digest of an {@link AppliedPolicy} or a
 * {@link FailureDetail} (every field, length-prefixed), so that every node and run files equal values
 * under equal keys and the merge at report time sums them (RFC 8460 §4.4: one {@code policies[]} entry
 * per applied policy, one {@code failure-details} entry per distinct detail). Computed at flush time,
 * never on the delivery thread.
 */
final class ResultKeys {
    private ResultKeys() {
    }

    static String policyKey(AppliedPolicy p) {
        MessageDigest md = sha256();
        field(md, "policy");
        field(md, p.type().label());
        field(md, p.policyDomain());
        list(md, p.policyString());
        list(md, p.mxHosts());
        return hex(md.digest());
    }

    static String detailKey(FailureDetail d) {
        MessageDigest md = sha256();
        field(md, "detail");
        field(md, d.resultType().label());
        field(md, d.sendingMtaIp());
        field(md, d.receivingMxHostname());
        field(md, d.receivingMxHelo());
        field(md, d.receivingIp());
        field(md, d.additionalInformation());
        field(md, d.failureReasonCode());
        return hex(md.digest());
    }

    private static void list(MessageDigest md, List<String> l) {
        field(md, Integer.toString(l.size()));
        for (String s : l) {
            field(md, s);
        }
    }

    /** Null and "" differ: -1 length for null. */
    private static void field(MessageDigest md, String s) {
        if (s == null) {
            md.update(new byte[] {-1, -1, -1, -1});
            return;
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        int n = b.length;
        md.update(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
        md.update(b);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JRE", e);
        }
    }

    /** The first 128 bits, hex: collisions are out of reach, keys stay short. */
    private static String hex(byte[] digest) {
        StringBuilder sb = new StringBuilder(32);
        for (int i = 0; i < 16; i++) {
            sb.append(Character.forDigit((digest[i] >> 4) & 0xF, 16)).append(Character.forDigit(digest[i] & 0xF, 16));
        }
        return sb.toString();
    }
}
