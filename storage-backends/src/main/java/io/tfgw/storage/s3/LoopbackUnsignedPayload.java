package io.tfgw.storage.s3;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.concurrent.CompletableFuture;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.scheme.AwsV4AuthScheme;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.AsyncSignRequest;
import software.amazon.awssdk.http.auth.spi.signer.AsyncSignedRequest;
import software.amazon.awssdk.http.auth.spi.signer.SignRequest;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.IdentityProvider;
import software.amazon.awssdk.identity.spi.IdentityProviders;

/**
 * SigV4 with an unsigned payload ({@code x-amz-content-sha256: UNSIGNED-PAYLOAD}) for plain-HTTP requests to a
 * store on this machine (a loopback address), as the SDK already does over HTTPS.
 *
 * <p>Why: over plain HTTP the SDK signs every body, in {@code aws-chunked} chunks each hashed with
 * SHA-256 and HMAC'd, and the store hashes them again to check; on a machine that runs the store too, that was
 * the largest cost of an upload (more than a third of the client's CPU time). The SDK insists on it over HTTP
 * because a network path could alter the body in flight; a loopback connection crosses no network, so it is as
 * safe as TLS here. Integrity is unchanged: every upload carries the CRC32C of its bytes in a signed header,
 * which the store verifies before it accepts them (see {@link S3Output}). Requests to any other host over HTTP are
 * signed exactly as the SDK signs them.
 *
 * <p>How: the request is signed as if it went over HTTPS (SigV4's canonical request has no scheme, so the
 * signature is the same) and sent over HTTP. Only ports other than 80 and 443 qualify, where the {@code Host}
 * header is {@code host:port} under either scheme.
 */
final class LoopbackUnsignedPayload implements AwsV4AuthScheme {
  private final AwsV4AuthScheme standard = AwsV4AuthScheme.create();

  /** Whether requests to {@code endpoint} get unsigned payloads: plain HTTP to a loopback address. */
  static boolean appliesTo(URI endpoint) {
    if (!"http".equalsIgnoreCase(endpoint.getScheme()) || endpoint.getPort() == 80 || endpoint.getPort() == 443
        || endpoint.getPort() == -1 || endpoint.getHost() == null) {
      return false;
    }
    String host = endpoint.getHost();
    if (host.equalsIgnoreCase("localhost")) {
      return true;
    }
    if (!host.matches("[0-9.]+|\\[?[0-9a-fA-F:]+]?")) {
      return false; // a name: resolving it here could differ from what the HTTP client connects to
    }
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  @Override
  public String schemeId() {
    return standard.schemeId();
  }

  @Override
  public IdentityProvider<AwsCredentialsIdentity> identityProvider(IdentityProviders providers) {
    return standard.identityProvider(providers);
  }

  @Override
  public AwsV4HttpSigner signer() {
    AwsV4HttpSigner signer = standard.signer();
    return new AwsV4HttpSigner() {
      @Override
      public SignedRequest sign(SignRequest<? extends AwsCredentialsIdentity> request) {
        return signAsHttps(signer, request);
      }

      @Override
      public CompletableFuture<AsyncSignedRequest> signAsync(AsyncSignRequest<? extends AwsCredentialsIdentity> request) {
        return signer.signAsync(request);
      }
    };
  }

  private static <T extends AwsCredentialsIdentity> SignedRequest signAsHttps(AwsV4HttpSigner signer, SignRequest<T> request) {
    SdkHttpRequest http = request.request();
    if (!"http".equals(http.protocol()) || http.port() == 80 || http.port() == 443) {
      return signer.sign(request);
    }
    SignedRequest signed = signer.sign(request.toBuilder().request(http.toBuilder().protocol("https").build()).build());
    return signed.toBuilder().request(signed.request().toBuilder().protocol("http").build()).build();
  }
}
