/* Devices: refcounted layer factories (net/device.h). */
#include <config.h>
#include <net/device.h>
#include <glib.h>

void net_device_init(struct net_device_s *dev, const struct net_device_ops_s *ops,
                     struct net_scheduler_s *sched, const char *name)
{
  atomic_init(&dev->refcount, 1);
  dev->ops = ops;
  dev->scheduler = sched;
  g_strlcpy(dev->name, name ? name : "", sizeof(dev->name));
}

struct net_device_s *net_device_refinc(struct net_device_s *dev)
{
  atomic_fetch_add_explicit(&dev->refcount, 1, memory_order_relaxed);
  return dev;
}

void net_device_refdec(struct net_device_s *dev)
{
  if (!dev)
    return;
  unsigned old = atomic_fetch_sub_explicit(&dev->refcount, 1,
                                           memory_order_acq_rel);
  g_return_if_fail(old > 0);
  if (old == 1 && dev->ops->destroyed)
    dev->ops->destroyed(dev);
}

int net_device_layer_create(struct net_device_s *dev, uint32_t type,
                            const void *params, void *delegate,
                            const struct net_device_delegate_vtable_s *vtable,
                            struct net_layer_s **layer)
{
  if (!dev || !layer)
    return -EINVAL;
  *layer = NULL;
  if (!dev->ops->layer_create)
    return -EPROTONOSUPPORT;
  return dev->ops->layer_create(dev, type, params, delegate, vtable, layer);
}
