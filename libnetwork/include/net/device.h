/**
 * @file net/device.h
 * @brief Devices: refcounted factories of layers bound to a medium.
 *
 * A device driver (TAP, the in-memory pair, ...) creates the layers that
 * sit on its medium through one entry point, so one driver can offer
 * several layer types.  The created layer holds a reference on its device;
 * the device keeps no reference on its layers.
 */
#ifndef NET_DEVICE_H_
#define NET_DEVICE_H_

#include <net/types.h>
#include <net/layer.h>
#include <stdatomic.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Layer types a device may create (fourcc-style values). */
enum net_layer_type_e
{
  NET_LAYER_ETHERNET = 0x45544820, /* 'ETH ' */
};

/**
 * Delegate of layers created by a device: the base vtable plus link
 * events.  Drivers call link_changed in scheduler context.
 */
struct net_device_delegate_vtable_s
{
  struct net_layer_delegate_vtable_s base; /**< release: the layer is being destroyed */
  /** Optional.  The medium under @p layer went up (@p up true) or down. */
  void (*link_changed)(void *delegate, struct net_layer_s *layer, bool up);
};

/** What a driver implements (a static const table per driver). */
struct net_device_ops_s
{
  /** Create a layer of @p type on the device's medium; @p params is
      type-specific (may be NULL for defaults).  @p vtable may be NULL.
      Called by net_device_layer_create() with *@p layer set to NULL;
      returns 0 with *@p layer holding one reference for the caller, or a
      negative errno (-EPROTONOSUPPORT for a type the driver lacks). */
  int (*layer_create)(struct net_device_s *dev, uint32_t type,
                      const void *params, void *delegate,
                      const struct net_device_delegate_vtable_s *vtable,
                      struct net_layer_s **layer);
  /** Free the device (last reference dropped), in the thread that
      dropped it.  Layers created on the device hold references on it, so
      none is left by then. */
  void (*destroyed)(struct net_device_s *dev);
};

/**
 * A device.  Drivers embed it as the first member of their own structure
 * and initialise it with net_device_init(); users only pass it around.
 */
struct net_device_s
{
  atomic_uint refcount;               /**< use net_device_refinc/refdec */
  const struct net_device_ops_s *ops; /**< the driver's methods */
  struct net_scheduler_s *scheduler;  /**< the scheduler of its layers */
  char name[32];                      /**< for logs, e.g. the TAP interface */
};

/**
 * Initialise an embedded device with one reference owned by the caller
 * (for drivers).  @p name is copied, truncated to 31 bytes (NULL: "").
 */
void net_device_init(struct net_device_s *dev, const struct net_device_ops_s *ops,
                     struct net_scheduler_s *sched, const char *name);

/** Take a reference on @p dev, which the caller already holds one on
    (any thread); returns @p dev. */
struct net_device_s *net_device_refinc(struct net_device_s *dev);

/**
 * Drop a reference (any thread; NULL is ignored).  The last one calls the
 * driver's @c destroyed right away, in the calling thread: since every
 * layer created on the device holds a reference, that happens after the
 * last of them was destroyed.
 */
void net_device_refdec(struct net_device_s *dev);

/**
 * Create a layer of @p type on @p dev, on the device's scheduler.  On
 * success *@p layer holds one reference owned by the caller, and the
 * layer holds one on @p dev.  @p params is type-specific (NULL: defaults);
 * @p delegate / @p vtable may be NULL.  Any thread.
 * @return 0, -EINVAL (NULL @p dev or @p layer, bad params),
 * -EPROTONOSUPPORT (type not offered), -EBUSY (only one such layer per
 * device), -ENOMEM, or a driver error; *@p layer is then NULL.
 */
int net_device_layer_create(struct net_device_s *dev, uint32_t type,
                            const void *params, void *delegate,
                            const struct net_device_delegate_vtable_s *vtable,
                            struct net_layer_s **layer);

#ifdef __cplusplus
}
#endif

#endif
