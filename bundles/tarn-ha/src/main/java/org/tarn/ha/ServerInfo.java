package org.tarn.ha;

/**
 * A live server of the cluster, as it registered itself.
 *
 * @param id       its server id
 * @param hostId   its engine's host id (hexadecimal), as written into the labels of the pools it imports
 * @param hostname its engine's host name
 * @param leases   how many pool leases it holds
 */
public record ServerInfo(String id, String hostId, String hostname, int leases) {
}
