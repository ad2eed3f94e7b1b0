/**
 * relbot's kernel weights are 1 - pow(q, 1/e) with q = float(|x|) / RADIUS, computed by glibc's pow.
 * glibc's pow is not correctly rounded: for a few q it returns the other double next to the exact
 * value (error just over half an ulp, near a halfway point). These are those q, as the hex bits of the
 * float, for every RADIUS up to 1000 and y = 1/e, found by comparing glibc 2.36's pow (x86-64, the
 * original's `g++ -O3` build) with the correctly rounded result of exactPow over all (RADIUS, |x|).
 * For larger RADIUS the weights are the correctly rounded ones, which differ from glibc's in about one
 * q in two thousand.
 */
export const GLIBC_POW_FLIPS_MAX_RADIUS = 1000;

export const GLIBC_POW_FLIPS: ReadonlySet<number> = new Set(
  (
    "3b1e1bcb 3c03fef8 3c12b8ee 3c2c4825 3c399b4a 3c4ac5b4 3c4bab23 3c92117f 3ca00000 3cb132b0 3cbcaa0c " +
    "3ccdf1b3 3cee643c 3cf88e67 3d0f868e 3d38b8b9 3d52afd5 3d64f023 3d8bd01a 3d8f0677 3d8f4696 3d94b6b5 " +
    "3d9db463 3da71614 3db0b7fb 3db133ed 3db78122 3dc41c8c 3dc56d1f 3dcfd5f7 3dd92ba4 3df3c1f9 3dfc1ae9 " +
    "3e03ed27 3e0f740c 3e0fbe4a 3e15168f 3e1c8b4f 3e235661 3e248163 3e26d4db 3e287341 3e2b0ab1 3e380502 " +
    "3e4020b4 3e45fb69 3e528757 3e5eb92a 3e63647e 3e73efeb 3e7c9de3 3e82cf75 3e83ea51 3e88a19b 3e88fa92 " +
    "3e894f21 3e8ce1da 3e8d71d2 3e8ef0e8 3e8f7c86 3e936bf7 3e93e653 3e9cd56c 3ea1f8b8 3ea5fb51 3ea85995 " +
    "3ea8f0ca 3eab7109 3eacc0c8 3eb062d5 3eb1f240 3eb751f0 3eba40af 3ebafbfd 3ebb09c1 3ebdb53f 3ec09519 " +
    "3ec0eaf9 3ec38623 3ecfb905 3ecfec47 3ed15704 3ed15d98 3ed215cd 3ed23081 3ed320ca 3ed3fadf 3ed4e752 " +
    "3ed4fc3e 3ed50ad4 3ed6392b 3ed6916c 3ed91adf 3ed9857f 3eda8f11 3edc2ec0 3ee27c16 3ee56821 3ee5b9f0 " +
    "3ee5fb81 3ee92e5a 3ee936f4 3eed57c8 3eefc55e 3eefdd94 3ef2a3ed 3ef2f723 3ef31a9d 3ef3e24c 3ef3ebbd " +
    "3ef3ee8a 3ef676d5 3ef9a934 3efa6d3d 3efa7bf2 3efa9d43 3f0205c7 3f031387 3f035297 3f037777 3f04838c " +
    "3f0705bf 3f072e34 3f08de61 3f0ac828 3f0ad013 3f0ae57b 3f0b2a45 3f0c8dff 3f0ca6b3 3f0d091c 3f0d0dc7 " +
    "3f0edda3 3f10b4f3 3f138502 3f1391d5 3f13b3cd 3f1444dc 3f15833a 3f1585aa 3f1594d6 3f178a4d 3f18323d " +
    "3f18337b 3f19ba20 3f19d110 3f19ed38 3f1a4e47 3f1bdcce 3f1be784 3f1c2f4c 3f1c48de 3f1c896b 3f1e1848 " +
    "3f1e22ff 3f1e8343 3f204812 3f212a7e 3f236ca2 3f23ba17 3f23cc7e 3f253a23 3f25a118 3f261e42 3f27d3b3 " +
    "3f27e20d 3f282deb 3f29342d 3f2c96d9 3f2f0ca2 3f2f2cfa 3f30098c 3f326935 3f332c77 3f356803 3f37dc12 " +
    "3f3809cd 3f39c39c 3f3a852b 3f3b06a2 3f3b33f3 3f3b6a5c 3f3ccebf 3f4073a7 3f40abbd 3f40b99b 3f422ac3 " +
    "3f435555 3f440ac7 3f45feb4 3f489312 3f4b150e 3f4c92b8 3f4dcb89 3f4e11e5 3f4e6cad 3f4f2f53 3f4f68af " +
    "3f515ad2 3f515f7f 3f51e884 3f523b59 3f549d73 3f54c9e5 3f575f94 3f57bc07 3f57f3d5 3f58adac 3f5ad81e " +
    "3f5b0ad1 3f5b3694 3f5d245b 3f5e98c7 3f60cc80 3f610ee3 3f617053 3f620564 3f62160b 3f622abc 3f6506de " +
    "3f6568f2 3f658a7b 3f65a8bf 3f68e6fa 3f68e9f1 3f6907ef 3f6b80d6 3f6bafca 3f6be5fc 3f6c8000 3f6fcd2e " +
    "3f7005cf 3f71f72a 3f72c360 3f73111e 3f73a26c 3f73a869 3f744340 3f7577e6 3f75ef5f 3f763699 3f764925 " +
    "3f76bba8 3f774c5a 3f79f8c4 3f7ad5f3 3f7dad92 3f7e04c1 3f7e318c 3f7e353f 3f7e7bc1"
  )
    .split(" ")
    .map((h) => Number.parseInt(h, 16)),
);
