package io.tfgw.core.storage;

/** Nothing exists at the location. */
public class LocationNotFoundException extends StorageException {
  private final Location location;

  public LocationNotFoundException(Location location) {
    this(location, "No such file: " + location);
  }

  public LocationNotFoundException(Location location, String message) {
    super(message);
    this.location = location;
  }

  public Location location() {
    return location;
  }
}
