/* Weak fallback until the image parser lands; remove with its arrival. */
#include <pvshim/guest_image.h>
#include <pvshim/string.h>

__attribute__((weak)) int guest_image_parse(const uint8_t *mod, size_t mod_len,
                                            uint8_t *out, size_t out_cap, void *work,
                                            size_t work_len,
                                            const uint32_t features[GUEST_FEATURE_WORDS],
                                            struct guest_image *img, char *err, size_t errlen)
{
    (void)mod; (void)mod_len; (void)out; (void)out_cap; (void)work; (void)work_len;
    (void)features; (void)img;
    snprintf(err, errlen, "this pvshim was built without an image parser");
    return -1;
}
