#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>
#include <jerror.h>

// vlm: a whole-image JPEG decode with libjpeg's errors turned into a return code.
//
// libjpeg reports a fatal error by calling error_exit, which must not return: the library's
// code after the call assumes it never comes back. The usual answer is setjmp/longjmp, and
// Swift cannot call setjmp (it "returns twice"). So the setjmp, the longjmp and every libjpeg
// call between them live here, in C, as static inline functions the Swift compiler emits
// itself; no longjmp ever crosses a Swift frame. Swift sees one call that either fills
// `vlm_jpeg_result` or returns an error code with a message.
//
// The decoder settings are the ones Pillow uses for Image.open (src/libImaging/JpegDecode.c):
// libjpeg's defaults (JDCT_ISLOW, fancy upsampling on), out_color_space GRAYSCALE / RGB / CMYK
// for 1 / 3 / 4 components, libjpeg's own guess of the file's colour space (YCbCr, RGB, CMYK,
// YCCK from the JFIF / Adobe markers).

enum {
    VLM_JPEG_OK = 0,
    VLM_JPEG_ERROR = 1,          // libjpeg's error_exit; message filled
    VLM_JPEG_TOO_LARGE = 2,      // width * height > max_pixels
    VLM_JPEG_TRUNCATED = 3,      // the data ended before the last scanline
    VLM_JPEG_UNSUPPORTED = 4,    // component count or precision Pillow does not open; message filled
    VLM_JPEG_NO_MEMORY = 5,
};

typedef struct vlm_jpeg_result {
    unsigned int width;
    unsigned int height;
    int components;              // samples per pixel in `pixels`: 1 (gray), 3 (RGB), 4 (CMYK as libjpeg outputs it)
    int file_color_space;        // J_COLOR_SPACE libjpeg assumed for the file
    int progressive;
    unsigned char *pixels;       // malloc'd width * height * components bytes; the caller frees
    char message[JMSG_LENGTH_MAX];
} vlm_jpeg_result;

typedef struct vlm_jpeg_error_mgr {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char *message;               // points into the result
    int premature_eof;           // the source ran dry and libjpeg inserted a fake EOI
} vlm_jpeg_error_mgr;

static void vlm_jpeg_error_exit(j_common_ptr cinfo) {
    vlm_jpeg_error_mgr *err = (vlm_jpeg_error_mgr *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, err->message);
    longjmp(err->jump, 1);
}

// Warnings are silent, as in Pillow (its output_message does nothing); only the end-of-data
// warning is remembered, because Pillow refuses a file whose data ends before the image does
// ("image file is truncated") unless LOAD_TRUNCATED_IMAGES is set.
static void vlm_jpeg_emit_message(j_common_ptr cinfo, int msg_level) {
    vlm_jpeg_error_mgr *err = (vlm_jpeg_error_mgr *)cinfo->err;
    if (msg_level < 0) {
        if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
            err->premature_eof = 1;
        }
        cinfo->err->num_warnings++;
    }
}

static inline int vlm_jpeg_decode(const unsigned char *data, unsigned long size,
                                  unsigned long long max_pixels, vlm_jpeg_result *result) {
    struct jpeg_decompress_struct cinfo;
    vlm_jpeg_error_mgr err;
    unsigned char *volatile pixels = NULL;

    memset(result, 0, sizeof(*result));
    memset(&cinfo, 0, sizeof(cinfo));
    cinfo.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = vlm_jpeg_error_exit;
    err.pub.emit_message = vlm_jpeg_emit_message;
    err.message = result->message;
    err.premature_eof = 0;

    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        result->pixels = NULL;
        return err.premature_eof ? VLM_JPEG_TRUNCATED : VLM_JPEG_ERROR;
    }

    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, size);
    jpeg_read_header(&cinfo, TRUE);
    if (err.premature_eof) {
        jpeg_destroy_decompress(&cinfo);
        return VLM_JPEG_TRUNCATED;
    }

    result->width = cinfo.image_width;
    result->height = cinfo.image_height;
    result->file_color_space = cinfo.jpeg_color_space;
    result->progressive = cinfo.progressive_mode ? 1 : 0;

    if (cinfo.data_precision != 8) {
        snprintf(result->message, sizeof(result->message), "cannot handle %d-bit layers",
                 cinfo.data_precision);
        jpeg_destroy_decompress(&cinfo);
        return VLM_JPEG_UNSUPPORTED;
    }
    switch (cinfo.num_components) {
    case 1: cinfo.out_color_space = JCS_GRAYSCALE; break;
    case 3: cinfo.out_color_space = JCS_RGB; break;
    case 4: cinfo.out_color_space = JCS_CMYK; break;
    default:
        snprintf(result->message, sizeof(result->message), "cannot handle %d-layer images",
                 cinfo.num_components);
        jpeg_destroy_decompress(&cinfo);
        return VLM_JPEG_UNSUPPORTED;
    }
    if ((unsigned long long)cinfo.image_width * (unsigned long long)cinfo.image_height > max_pixels) {
        jpeg_destroy_decompress(&cinfo);
        return VLM_JPEG_TOO_LARGE;
    }

    jpeg_start_decompress(&cinfo);
    if (err.premature_eof) {  // a progressive file is read whole here
        jpeg_destroy_decompress(&cinfo);
        return VLM_JPEG_TRUNCATED;
    }
    result->components = cinfo.output_components;
    size_t row_bytes = (size_t)cinfo.output_width * (size_t)cinfo.output_components;
    pixels = (unsigned char *)malloc(row_bytes * (size_t)cinfo.output_height + 1);
    if (pixels == NULL) {
        jpeg_destroy_decompress(&cinfo);
        return VLM_JPEG_NO_MEMORY;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = pixels + (size_t)cinfo.output_scanline * row_bytes;
        if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) {
            break;
        }
    }
    if (err.premature_eof) {
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        return VLM_JPEG_TRUNCATED;
    }
    // A missing EOI after the last scanline is fine, as in Pillow: the end-of-data warning
    // from here on is ignored.
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    result->pixels = pixels;
    return VLM_JPEG_OK;
}
