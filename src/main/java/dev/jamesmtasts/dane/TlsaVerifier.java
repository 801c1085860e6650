package dev.jamesmtasts.dane;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

import org.xbill.DNS.TLSARecord;

import dev.jamesmtasts.mtasts.MxPattern;
import dev.jamesmtasts.mtasts.SafeText;
import dev.jamesmtasts.mtasts.StsSyntaxException;

/**
 * Checks an SMTP server's certificate chain against the TLSA records of its MX host, as RFC 7672 §3
 * asks of an SMTP client (RFC 6698 §2.1 for the record fields, RFC 7218 for their names). Pure: no
 * I/O, no clock other than the PKIX validation of a DANE-TA chain.
 *
 * <ul>
 *   <li>Usable records (RFC 7672 §3.1): usage DANE-TA(2) or DANE-EE(3), selector Cert(0) or SPKI(1),
 *       matching type Full(0), SHA2-256(1) or SHA2-512(2) with a digest of the right length.
 *       PKIX-TA(0) and PKIX-EE(1) are unusable for SMTP (RFC 7672 §3.1.3), and so are unknown values
 *       and malformed data (RFC 7672 §2.2: unusable records are ignored).</li>
 *   <li>DANE-EE(3): the record matches the server's own certificate (the first in the chain) or its
 *       public key; neither names nor validity dates are checked (RFC 7672 §3.1.1).</li>
 *   <li>DANE-TA(2): the record matches an issuing certificate of the chain (or its key); the chain
 *       from the server certificate up to it must then validate with it as the trust anchor (PKIX,
 *       without revocation), and the server certificate must name the MX host or the TLSA base domain
 *       (RFC 7672 §3.1.2, §3.2.2, §3.2.3). A full SPKI record, 2 1 0, may also be a bare key that
 *       signed the top of the chain (RFC 7672 §3.1.2: the TA certificate need then not be sent).</li>
 * </ul>
 */
public final class TlsaVerifier {
    /** RFC 6698 §2.1.1 / RFC 7218 §2.1. */
    static final int PKIX_TA = 0;
    static final int PKIX_EE = 1;
    static final int DANE_TA = 2;
    static final int DANE_EE = 3;
    /** RFC 6698 §2.1.2 / RFC 7218 §2.2. */
    static final int CERT = 0;
    static final int SPKI = 1;
    /** RFC 6698 §2.1.3 / RFC 7218 §2.3. */
    static final int FULL = 0;
    static final int SHA2_256 = 1;
    static final int SHA2_512 = 2;
    /** RFC 6125 §6.4.4 / RFC 5280: the OID-less attribute type of the common name in an LDAP name. */
    private static final String CN = "CN";

    private TlsaVerifier() {
    }

    /**
     * @param records the TLSA RRset of the MX host (already DNSSEC-validated: RFC 7672 §2.2 uses only
     *        secure TLSA records)
     * @param chain the server's certificate chain as presented, the server's own certificate first
     * @param referenceNames the names a DANE-TA server certificate may carry: the MX host name and the
     *        TLSA base domain (RFC 7672 §3.2.2), with or without the trailing dot
     */
    public static TlsaVerification verify(List<TLSARecord> records, List<X509Certificate> chain,
            Collection<String> referenceNames) {
        List<TLSARecord> usable = new ArrayList<>();
        for (TLSARecord r : records) {
            if (usable(r)) {
                usable.add(r);
            }
        }
        if (usable.isEmpty()) {
            return TlsaVerification.failed(TlsaVerification.Outcome.NO_USABLE_RECORDS, records.size()
                    + " TLSA record(s), none usable for SMTP (RFC 7672 §3.1: DANE-TA(2)/DANE-EE(3), selector 0/1,"
                    + " matching type 0/1/2)");
        }
        if (chain.isEmpty()) {
            return TlsaVerification.failed(TlsaVerification.Outcome.MISMATCH, "the server sent no certificate");
        }
        X509Certificate leaf = chain.get(0);
        // DANE-EE first: the cheapest and the most common (RFC 7672 §3.1.1).
        for (TLSARecord r : usable) {
            if (r.getCertificateUsage() == DANE_EE && matches(r, leaf)) {
                return TlsaVerification.matched(DANE_EE, r.getSelector(), r.getMatchingType(),
                        "DANE-EE(3) " + r.getSelector() + " " + r.getMatchingType() + " matches the server certificate");
            }
        }
        String nameProblem = null;
        String chainProblem = null;
        for (TLSARecord r : usable) {
            if (r.getCertificateUsage() != DANE_TA) {
                continue;
            }
            for (TrustAnchorCandidate ta : anchors(r, chain)) {
                String invalid = validate(chain.subList(0, ta.below), ta.anchor);
                if (invalid != null) {
                    chainProblem = "DANE-TA(2) " + r.getSelector() + " " + r.getMatchingType() + " matches "
                            + ta.what + " but the chain from it does not validate: " + invalid;
                    continue;
                }
                if (!namesAny(leaf, referenceNames)) {
                    nameProblem = "DANE-TA(2) " + r.getSelector() + " " + r.getMatchingType() + " matches " + ta.what
                            + " but the server certificate (" + SafeText.of(leaf.getSubjectX500Principal().getName())
                            + ") names none of " + SafeText.list(referenceNames, SafeText.LIST_MAX);
                    continue;
                }
                return TlsaVerification.matched(DANE_TA, r.getSelector(), r.getMatchingType(),
                        "DANE-TA(2) " + r.getSelector() + " " + r.getMatchingType() + " matches " + ta.what);
            }
        }
        if (nameProblem != null) {
            return TlsaVerification.failed(TlsaVerification.Outcome.NAME_MISMATCH, nameProblem);
        }
        if (chainProblem != null) {
            return TlsaVerification.failed(TlsaVerification.Outcome.MISMATCH, chainProblem);
        }
        return TlsaVerification.failed(TlsaVerification.Outcome.MISMATCH, usable.size()
                + " usable TLSA record(s), none matches the " + chain.size() + " certificate(s) the server sent");
    }

    /** RFC 7672 §3.1, §3.1.3 and RFC 6698 §2.1: which records an SMTP client may use. */
    static boolean usable(TLSARecord r) {
        int usage = r.getCertificateUsage();
        if (usage != DANE_TA && usage != DANE_EE) {
            return false; // PKIX-TA(0), PKIX-EE(1) (RFC 7672 §3.1.3) and unassigned values
        }
        if (r.getSelector() != CERT && r.getSelector() != SPKI) {
            return false;
        }
        byte[] data = r.getCertificateAssociationData();
        switch (r.getMatchingType()) {
            case FULL:
                return data.length > 0;
            case SHA2_256:
                return data.length == 32;
            case SHA2_512:
                return data.length == 64;
            default:
                return false;
        }
    }

    /** Whether {@code r}'s association data matches {@code cert} per its selector and matching type. */
    static boolean matches(TLSARecord r, X509Certificate cert) {
        byte[] selected;
        try {
            selected = r.getSelector() == CERT ? cert.getEncoded() : cert.getPublicKey().getEncoded();
        } catch (CertificateEncodingException e) {
            return false;
        }
        return matchesData(r, selected);
    }

    private static boolean matchesData(TLSARecord r, byte[] selected) {
        byte[] data = r.getCertificateAssociationData();
        switch (r.getMatchingType()) {
            case FULL:
                return MessageDigest.isEqual(selected, data);
            case SHA2_256:
                return MessageDigest.isEqual(digest("SHA-256", selected), data);
            case SHA2_512:
                return MessageDigest.isEqual(digest("SHA-512", selected), data);
            default:
                return false;
        }
    }

    private static byte[] digest(String algorithm, byte[] data) {
        try {
            return MessageDigest.getInstance(algorithm).digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is required of every Java platform", e);
        }
    }

    /** A trust anchor a DANE-TA record designates, and how many chain certificates lie below it. */
    private static final class TrustAnchorCandidate {
        final TrustAnchor anchor;
        final int below;
        final String what;

        TrustAnchorCandidate(TrustAnchor anchor, int below, String what) {
            this.anchor = anchor;
            this.below = below;
            this.what = what;
        }
    }

    /**
     * The issuing certificates of {@code chain} (never the server certificate itself) that {@code r}
     * matches, as trust anchors; for 2 1 0 also the record's bare key as the issuer of the chain's top.
     */
    private static List<TrustAnchorCandidate> anchors(TLSARecord r, List<X509Certificate> chain) {
        List<TrustAnchorCandidate> found = new ArrayList<>();
        for (int i = 1; i < chain.size(); i++) {
            X509Certificate c = chain.get(i);
            if (matches(r, c)) {
                String what = "the issuing certificate " + SafeText.of(c.getSubjectX500Principal().getName())
                        + " (chain position " + i + ")";
                // Selector Cert(0) makes the certificate the anchor; SPKI(1) only its key and name.
                TrustAnchor anchor = r.getSelector() == CERT ? new TrustAnchor(c, null)
                        : new TrustAnchor(c.getSubjectX500Principal(), c.getPublicKey(), null);
                found.add(new TrustAnchorCandidate(anchor, i, what));
            }
        }
        if (found.isEmpty() && r.getSelector() == SPKI && r.getMatchingType() == FULL) {
            java.security.PublicKey key = publicKey(r.getCertificateAssociationData());
            X509Certificate top = chain.get(chain.size() - 1);
            if (key != null) {
                found.add(new TrustAnchorCandidate(new TrustAnchor(top.getIssuerX500Principal(), key, null),
                        chain.size(), "a bare trust-anchor key"));
            }
        }
        return found;
    }

    /** Decodes a DER SubjectPublicKeyInfo, or null when no installed key type reads it. */
    private static java.security.PublicKey publicKey(byte[] spki) {
        for (String algorithm : List.of("EC", "RSA", "Ed25519", "Ed448", "DSA")) {
            try {
                return java.security.KeyFactory.getInstance(algorithm)
                        .generatePublic(new java.security.spec.X509EncodedKeySpec(spki));
            } catch (GeneralSecurityException | RuntimeException e) {
                // not this algorithm
            }
        }
        return null;
    }

    /**
     * PKIX validation (RFC 5280 §6, without revocation) of {@code path} (server certificate first)
     * up to {@code anchor}; null when valid, else why.
     */
    private static String validate(List<X509Certificate> path, TrustAnchor anchor) {
        try {
            PKIXParameters params = new PKIXParameters(Set.of(anchor));
            params.setRevocationEnabled(false);
            CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
            return null;
        } catch (GeneralSecurityException e) {
            return SafeText.of(e.getMessage(), 300);
        }
    }

    /**
     * RFC 7672 §3.2.3: the reference identifiers are matched against the certificate's DNS-IDs
     * (subjectAltName dNSName), a wildcard standing for exactly the left-most label (the RFC 8461 §4.1
     * rule {@link MxPattern} owns); only a certificate without any DNS-ID is matched by its subject
     * common name (RFC 6125 §6.4.4).
     */
    static boolean namesAny(X509Certificate cert, Collection<String> referenceNames) {
        List<String> dnsIds = new ArrayList<>();
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (san.size() >= 2 && Integer.valueOf(2).equals(san.get(0))) {
                        dnsIds.add(String.valueOf(san.get(1)));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            return false;
        }
        if (dnsIds.isEmpty()) {
            dnsIds.addAll(commonNames(cert));
        }
        for (String id : dnsIds) {
            MxPattern pattern;
            try {
                pattern = MxPattern.parse(id.endsWith(".") ? id.substring(0, id.length() - 1) : id);
            } catch (StsSyntaxException e) {
                continue; // not a host name: it names nothing
            }
            for (String reference : referenceNames) {
                if (reference != null && pattern.matches(reference.toLowerCase(Locale.ROOT))) {
                    return true;
                }
            }
        }
        return false;
    }

    private static List<String> commonNames(X509Certificate cert) {
        List<String> names = new ArrayList<>();
        try {
            for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
                if (CN.equalsIgnoreCase(rdn.getType())) {
                    names.add(String.valueOf(rdn.getValue()));
                }
            }
        } catch (InvalidNameException e) {
            return List.of();
        }
        return names;
    }
}
