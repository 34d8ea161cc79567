#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

// vlm: a whole-image PNG read with libpng's errors turned into a return code.
//
// libpng reports a fatal error through png_error, which longjmps to the setjmp in
// png_jmpbuf and aborts the process when there is none. Swift cannot call setjmp, so the
// setjmp and every libpng call that may longjmp live here, in C, as static inline functions
// the Swift compiler emits itself; no longjmp ever crosses a Swift frame.
//
// Why not libpng's simplified png_image API (which needs no setjmp)? It applies gamma
// (gAMA, sRGB, and "16-bit data is linear"), composites alpha or premultiplies 16-bit
// output, and expands palettes itself. Pillow does none of that: it unpacks the stored
// samples as they are (PngImagePlugin + Unpack.c) and Image.convert("RGB") maps them with
// fixed rules. So libpng here only undoes filtering, interlacing and bit packing; the
// samples come back raw (16-bit ones big-endian, sub-byte ones one per byte, palette
// indices as indices) and the Swift side applies Pillow's rules.

enum {
    VLM_PNG_OK = 0,
    VLM_PNG_ERROR = 1,         // png_error; message filled
    VLM_PNG_TOO_LARGE = 2,     // width * height > max_pixels
    VLM_PNG_NO_MEMORY = 3,
};

typedef struct vlm_png_result {
    unsigned int width;
    unsigned int height;
    int bit_depth;             // as stored: 1, 2, 4, 8, 16
    int color_type;            // PNG_COLOR_TYPE_*
    int channels;              // samples per pixel in `pixels`
    int interlaced;
    size_t row_bytes;
    unsigned char *pixels;     // malloc'd height * row_bytes; the caller frees
    int num_palette;
    unsigned char palette[256 * 3];
    char message[256];
} vlm_png_result;

typedef struct vlm_png_source {
    const unsigned char *data;
    size_t size;
    size_t offset;
    vlm_png_result *result;
} vlm_png_source;

static void vlm_png_error_fn(png_structp png, png_const_charp message) {
    vlm_png_source *source = (vlm_png_source *)png_get_error_ptr(png);
    if (source != NULL && source->result != NULL && source->result->message[0] == 0) {
        strncpy(source->result->message, message, sizeof(source->result->message) - 1);
    }
    png_longjmp(png, 1);
}

static void vlm_png_warning_fn(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

static void vlm_png_read_fn(png_structp png, png_bytep out, size_t length) {
    vlm_png_source *source = (vlm_png_source *)png_get_io_ptr(png);
    if (source->size - source->offset < length) {
        png_error(png, "image file is truncated");
    }
    memcpy(out, source->data + source->offset, length);
    source->offset += length;
}

static inline int vlm_png_decode(const unsigned char *data, size_t size,
                                 unsigned long long max_pixels, vlm_png_result *result) {
    vlm_png_source source;
    png_structp png;
    png_infop info = NULL;
    unsigned char *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    volatile int status = VLM_PNG_ERROR;

    memset(result, 0, sizeof(*result));
    source.data = data;
    source.size = size;
    source.offset = 0;
    source.result = result;

    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &source, vlm_png_error_fn, vlm_png_warning_fn);
    if (png == NULL) {
        return VLM_PNG_NO_MEMORY;
    }
    info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        return VLM_PNG_NO_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(rows);
        free(pixels);
        result->pixels = NULL;
        return status;
    }

    png_set_read_fn(png, &source, vlm_png_read_fn);
    // Pillow does not check IDAT checksums (the Swift side checks the chunks before the first
    // IDAT, as Pillow does), so libpng must not either.
    png_set_crc_action(png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
    // Pillow has no per-dimension limit, only the pixel count one (checked below).
    png_set_user_limits(png, 0x7fffffffU, 0x7fffffffU);

    png_read_info(png, info);
    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
    result->width = width;
    result->height = height;
    result->bit_depth = bit_depth;
    result->color_type = color_type;
    result->interlaced = interlace != PNG_INTERLACE_NONE;
    if ((unsigned long long)width * (unsigned long long)height > max_pixels) {
        status = VLM_PNG_TOO_LARGE;
        png_destroy_read_struct(&png, &info, NULL);
        return status;
    }
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_colorp palette = NULL;
        int count = 0;
        if (png_get_PLTE(png, info, &palette, &count) && palette != NULL) {
            if (count > 256) count = 256;
            for (int i = 0; i < count; i++) {
                result->palette[i * 3 + 0] = palette[i].red;
                result->palette[i * 3 + 1] = palette[i].green;
                result->palette[i * 3 + 2] = palette[i].blue;
            }
            result->num_palette = count;
        }
    }

    if (bit_depth < 8) {
        png_set_packing(png);  // one sample per byte, values kept (0...2^depth-1)
    }
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    result->channels = png_get_channels(png, info);
    size_t row_bytes = png_get_rowbytes(png, info);
    result->row_bytes = row_bytes;

    pixels = (unsigned char *)malloc(row_bytes * (size_t)height + 1);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * (size_t)height + 1);
    if (pixels == NULL || rows == NULL) {
        status = VLM_PNG_NO_MEMORY;
        png_error(png, "out of memory");
    }
    for (png_uint_32 y = 0; y < height; y++) {
        rows[y] = pixels + (size_t)y * row_bytes;
    }
    png_read_image(png, rows);
    // No png_read_end: Pillow does not need the chunks after the image data to be intact,
    // and the metadata it reads there (eXIf) is found by the Swift side's own chunk scan.
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    result->pixels = pixels;
    return VLM_PNG_OK;
}
