/* A stand-in bcryptprimitives.dll for Wine 8.0, which lacks it: Rust's std (1.78 and later)
 * imports ProcessPrng from it on Windows (random keys for HashMap and the like), so without it
 * ccs.exe dies at load. ProcessPrng never fails; this one forwards to BCryptGenRandom, which
 * Wine has, in ULONG-sized chunks. tests/cross/setup builds it into the private Wine prefix
 * under target/cross; the DLL itself is never committed.
 * Build: x86_64-w64-mingw32-gcc -O2 -shared -s -o bcryptprimitives.dll bcryptprimitives.c -lbcrypt */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG);
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
