// SSLObject.getpeercert and SSLContext.get_ca_certs: a certificate decoded as Python's
// _decode_certificate does.
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>

#include "concurrence/base/errors.hpp"
#include "concurrence/ssl/ssl_object.hpp"
#include "ssl/state.hpp"

namespace concurrence::ssl {

namespace {

using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;

X509Ptr peer_certificate(const detail::ObjectState& s) {
    if (!SSL_is_init_finished(s.ssl)) throw ValueError("handshake not done yet");
    return X509Ptr(SSL_get1_peer_certificate(s.ssl), &X509_free);
}

// What an OpenSSL printing function wrote into a memory BIO.
template <class Print>
std::string printed(Print print) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    if (!bio) throw std::bad_alloc();
    print(bio.get());
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

std::string utf8(const ASN1_STRING* value) {
    unsigned char* text = nullptr;
    const int n = ASN1_STRING_to_UTF8(&text, value);
    if (n < 0) return {};
    std::string out(reinterpret_cast<const char*>(text), static_cast<std::size_t>(n));
    OPENSSL_free(text);
    return out;
}

// An attribute's long name ("commonName"), or its dotted number when OpenSSL has no name.
std::string object_name(const ASN1_OBJECT* object) {
    const int nid = OBJ_obj2nid(object);
    if (nid != NID_undef) return OBJ_nid2ln(nid);
    char text[128];
    OBJ_obj2txt(text, sizeof text, object, 1);
    return text;
}

// Python's _create_tuple_for_X509_NAME: one list per relative distinguished name.
PeerCert::Name decode_name(const X509_NAME* name) {
    PeerCert::Name out;
    int current_set = -1;
    const int count = X509_NAME_entry_count(name);
    for (int i = 0; i < count; ++i) {
        const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
        const int set = X509_NAME_ENTRY_set(entry);
        if (set != current_set || out.empty()) {
            out.emplace_back();
            current_set = set;
        }
        out.back().emplace_back(object_name(X509_NAME_ENTRY_get_object(entry)), utf8(X509_NAME_ENTRY_get_data(entry)));
    }
    return out;
}

std::string ip_text(const ASN1_OCTET_STRING* ip) {
    const unsigned char* p = ASN1_STRING_get0_data(ip);
    char text[64];
    if (ASN1_STRING_length(ip) == 4) {
        std::snprintf(text, sizeof text, "%d.%d.%d.%d", p[0], p[1], p[2], p[3]);
    } else if (ASN1_STRING_length(ip) == 16) {
        // Python writes every group, in upper case, without shortening: "0:0:0:0:0:0:0:1".
        std::snprintf(text, sizeof text, "%X:%X:%X:%X:%X:%X:%X:%X", p[0] << 8 | p[1], p[2] << 8 | p[3],
                      p[4] << 8 | p[5], p[6] << 8 | p[7], p[8] << 8 | p[9], p[10] << 8 | p[11], p[12] << 8 | p[13],
                      p[14] << 8 | p[15]);
    } else {
        return "<invalid>";
    }
    return text;
}

// Python's _get_peer_alt_names (the kinds it names; others are left out).
std::vector<std::pair<std::string, std::string>> decode_alt_names(X509* cert) {
    std::vector<std::pair<std::string, std::string>> out;
    auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
    if (!names) return out;
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
        switch (name->type) {
            case GEN_DNS: out.emplace_back("DNS", utf8(name->d.dNSName)); break;
            case GEN_EMAIL: out.emplace_back("email", utf8(name->d.rfc822Name)); break;
            case GEN_URI: out.emplace_back("URI", utf8(name->d.uniformResourceIdentifier)); break;
            case GEN_IPADD: out.emplace_back("IP Address", ip_text(name->d.iPAddress)); break;
            case GEN_RID: out.emplace_back("Registered ID", object_name(name->d.registeredID)); break;
            default: break;
        }
    }
    GENERAL_NAMES_free(names);
    return out;
}

}  // namespace

namespace detail {

PeerCert decode_certificate(X509* cert) {
    PeerCert out;
    out.subject = decode_name(X509_get_subject_name(cert));
    out.issuer = decode_name(X509_get_issuer_name(cert));
    out.version = X509_get_version(cert) + 1;
    out.serialNumber = printed([&](BIO* b) { i2a_ASN1_INTEGER(b, X509_get0_serialNumber(cert)); });
    out.notBefore = printed([&](BIO* b) { ASN1_TIME_print(b, X509_get0_notBefore(cert)); });
    out.notAfter = printed([&](BIO* b) { ASN1_TIME_print(b, X509_get0_notAfter(cert)); });
    out.subjectAltName = decode_alt_names(cert);
    return out;
}

std::string certificate_der(X509* cert) {
    unsigned char* der = nullptr;
    const int n = i2d_X509(cert, &der);
    if (n < 0) std::rethrow_exception(error_from_queue());
    std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(n));
    OPENSSL_free(der);
    return out;
}

}  // namespace detail

std::optional<PeerCert> SSLObject::getpeercert() const {
    X509Ptr cert = peer_certificate(*state_);
    if (!cert) return std::nullopt;
    // Python's {}: a certificate this side did not verify tells nothing.
    if (!(SSL_get_verify_mode(state_->ssl) & SSL_VERIFY_PEER)) return PeerCert{};
    return detail::decode_certificate(cert.get());
}

std::optional<std::string> SSLObject::getpeercert_der() const {
    X509Ptr cert = peer_certificate(*state_);
    if (!cert) return std::nullopt;
    return detail::certificate_der(cert.get());
}

}  // namespace concurrence::ssl
