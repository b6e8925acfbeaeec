package io.tfgw.storage.azure;

import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobStorageException;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.LocationNotFoundException;
import io.tfgw.core.storage.StorageException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;

/** Turns Azure SDK exceptions into messages that say what failed, where, and what to do. */
final class AzureErrors {
  private AzureErrors() {}

  static boolean isNotFound(RuntimeException e) {
    return e instanceof BlobStorageException b && b.getStatusCode() == 404
        && !BlobErrorCode.CONTAINER_NOT_FOUND.equals(b.getErrorCode());
  }

  static boolean isConditionFailed(RuntimeException e) {
    return e instanceof BlobStorageException b && (b.getStatusCode() == 412
        || BlobErrorCode.BLOB_ALREADY_EXISTS.equals(b.getErrorCode()) || b.getStatusCode() == 409
        && BlobErrorCode.CONDITION_NOT_MET.equals(b.getErrorCode()));
  }

  /** The message for {@code e}, raised while trying to {@code action} (read, write, list, delete) {@code location}. */
  static StorageException of(String action, Location location, RuntimeException e, AzureSettings settings) {
    String[] accountAndContainer = location.authority().split("/", 2);
    if (e instanceof BlobStorageException b) {
      BlobErrorCode code = b.getErrorCode();
      int status = b.getStatusCode();
      if (BlobErrorCode.CONTAINER_NOT_FOUND.equals(code)) {
        return new LocationNotFoundException(location, "No such container '" + accountAndContainer[1] + "' in storage "
            + "account '" + accountAndContainer[0] + "' (" + location + "): check the container name and the account");
      }
      if (status == 404) {
        return new LocationNotFoundException(location, "No such file: " + location);
      }
      if (status == 403 || status == 401) {
        return new StorageException("Access denied: cannot " + action + " " + location + " (" + (code != null ? code : "HTTP " + status)
            + "). The store refuses " + settings.credentialKind() + ": check that it belongs to account '"
            + accountAndContainer[0] + "', has not expired, and allows " + action + ".", e);
      }
      return new StorageException("Cannot " + action + " " + location + ": Azure answered HTTP " + status
          + (code != null ? " (" + code + ")" : "") + (status >= 500 ? "; try again later" : ""), e);
    }
    Throwable root = e;
    for (Throwable t = e; t != null; t = t.getCause()) {
      root = t;
      if (t instanceof ConnectException) {
        return new StorageException("Cannot " + action + " " + location + ": the Azure endpoint refuses connections ("
            + settings.endpoint().orElse("https://" + accountAndContainer[0] + ".blob.core.windows.net")
            + "). Check --azure-endpoint and the network.", e);
      }
      if (t instanceof UnknownHostException || t instanceof UnresolvedAddressException) {
        return new StorageException("Cannot " + action + " " + location + ": unknown host for storage account '"
            + accountAndContainer[0] + "'. Check the account name (az://ACCOUNT/CONTAINER/PATH) and --azure-endpoint.", e);
      }
      if (t.getClass().getName().contains("CredentialUnavailable") || t.getClass().getName().contains("ClientAuthentication")) {
        return new StorageException("Cannot " + action + " " + location + ": no Azure credentials found. Set "
            + "AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_SAS_TOKEN or AZURE_STORAGE_KEY, or sign in for the "
            + "default chain (az login, a managed identity, AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET).", e);
      }
    }
    return new StorageException("Cannot " + action + " " + location + ": " + root.getClass().getSimpleName()
        + (root.getMessage() != null ? ": " + firstLine(root.getMessage()) : ""), e);
  }

  private static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
