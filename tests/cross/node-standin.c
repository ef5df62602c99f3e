/* A stand-in node.exe for tests/it/windows.rs: what an npm install's claude.cmd runs. It prints
 * each argument as a Windows program's C runtime parses its command line (node.exe's does so
 * too), one a line between brackets, then CLAUDE_CONFIG_DIR and CCS_PROFILE, all in UTF-8, and
 * exits with the code in CCS_TEST_EXIT (0 without it). tests/cross/setup builds it into
 * target/cross/node.exe; it is never committed built.
 * Build: x86_64-w64-mingw32-gcc -municode -O2 -s -static -o node.exe node-standin.c */
#include <windows.h>
#include <stdlib.h>

static void put(const wchar_t *text)
{
    char buf[32768];
    DWORD written;
    int n = WideCharToMultiByte(CP_UTF8, 0, text, -1, buf, sizeof buf, NULL, NULL);
    if (n > 1)
        WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), buf, (DWORD)(n - 1), &written, NULL);
}

static void put_var(const wchar_t *name)
{
    const wchar_t *value = _wgetenv(name);
    put(name);
    put(L"=");
    put(value ? value : L"(unset)");
    put(L"\n");
}

int wmain(int argc, wchar_t **argv)
{
    for (int i = 1; i < argc; i++) {
        put(L"arg [");
        put(argv[i]);
        put(L"]\n");
    }
    put_var(L"CLAUDE_CONFIG_DIR");
    put_var(L"CCS_PROFILE");
    const wchar_t *code = _wgetenv(L"CCS_TEST_EXIT");
    return code ? _wtoi(code) : 0;
}
