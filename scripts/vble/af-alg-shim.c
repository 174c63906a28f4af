/*
 * LD_PRELOAD shim for btvirt on kernels without AF_ALG (docs: docs/cli-ble.md, "The virtual BLE lab").
 *
 * btvirt initialises BlueZ's crypto helper for every emulated controller; that helper opens an AF_ALG
 * socket and, when the kernel lacks AF_ALG, btvirt drops all of its clients. Plain GATT never needs that
 * crypto (only LE encryption and resolvable private addresses do), so we hand back an ordinary AF_UNIX
 * socket of the same type and pretend binding it to an AF_ALG address worked. Everything else goes to
 * the real libc functions. On kernels that do have AF_ALG this changes nothing that plain GATT uses.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sys/socket.h>

#define FAMILY_ALG 38 /* AF_ALG; spelled out because old libc headers may lack it */

typedef int (*socket_fn)(int, int, int);
typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);

int socket(int domain, int type, int protocol) {
  static socket_fn real_socket;
  if (!real_socket) real_socket = (socket_fn)dlsym(RTLD_NEXT, "socket");
  if (domain == FAMILY_ALG) return real_socket(AF_UNIX, type, 0);
  return real_socket(domain, type, protocol);
}

int bind(int fd, const struct sockaddr *addr, socklen_t len) {
  static bind_fn real_bind;
  if (!real_bind) real_bind = (bind_fn)dlsym(RTLD_NEXT, "bind");
  if (addr && addr->sa_family == FAMILY_ALG) return 0;
  return real_bind(fd, addr, len);
}
