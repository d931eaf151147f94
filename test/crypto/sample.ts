/** The verified LinOTP 2.12 sample data set of linotp-schema.md §7 (encKey = bytes 00..5f). */
export const SAMPLE_KEY_BYTES = Buffer.from(Array.from({ length: 96 }, (_, i) => i));

export const configSecrets = {
  sqlPassword: {
    key: 'linotp.sqlresolver.Password.corpsql',
    value: 'e0e1e2e3e4e5e6e7e8e9eaebecedeeef:a8ece36723d9e763b52c2ab01c77e241fed379a32b1f7052816b814d9bc46f21',
    plain: 's3cr3t-DB-pw',
  },
  secretKey: {
    key: 'linotp.SecretKey.Partition.0',
    value:
      'f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff:22fd03f8a8ae03f757c179fdb2a9569057b33c460e9b2ab211920fb64cf1256a15aaaf0a5ed689bb5861561ffe16e8aa001e3224d0cfb8b4fba5528296581405cd8ff7cf7b025887737b19c116610a8b14262119b825803ef43cf95d993be503dbcf0bed1ce687b6bd5eabb26800ca7ccf6bc7e7b23e957ef7fd36e1af02668874ac024c8bc7beee4b22067678985085e41ce8c67bb53305ecb589e3879f0829c0eed9ef8e23c5caa8dadd96e34981c0305d39213c00acab1806e7a64ad3829f',
    plain: 'QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkIhUvjRm3kdJEUyQuFfLqtst8/6e2pe0wCXlg4GmIHbEg==',
  },
  publicKey: {
    key: 'linotp.PublicKey.Partition.0',
    value:
      '101112131415161718191a1b1c1d1e1f:9930164b5399e292b98785a0d5391f58ac990b72b4a5157f2de31eff283a73634d3f627d75c96549470df9abb1d6668f75ac75eb553a0d38154f7b3c30184dff98c519d2c1a2b29553d6133fcdccbce6a9df7051cc58b1bc1deb0620cbf0fc44',
    plain: 'IVL40Zt5HSRFMkLhXy6rbLfP+ntqXtMAl5YOBpiB2xI=',
  },
};

export const token1 = {
  serial: 'oath0001',
  seed: 'c0c1c2c3c4c5c6c7c8c9cacbcccdcecf',
  pinHash: '957dfd01fab6a90430690034db971810f45afa886c13dcc85ed93f73e0d99ec9',
  pin: '1234',
  keyEnc:
    'f199b35838d4215af26473a239ec9bad20d39de0149288f49086e5f951f2e9d49e0f0e024f49916e2f3d631eaca90db60b966d43bbcf1d5266608795b8a0ec4938f67a1f34aa74896a1183cb4497de61e572801837f531f89057fc6675786553',
  keyIv: 'a0a1a2a3a4a5a6a7a8a9aaabacadaeaf',
  otpSeed: '3132333435363738393031323334353637383930',
  pkcs7LastBlock: 'f3ec290a2ebaea6bcae224199d41fa7e',
  unchangedPrefix: 160,
};

export const token2 = {
  serial: 'TOTP0001',
  seed: 'd0d1d2d3d4d5d6d7d8d9dadbdcdddedf',
  pinHash:
    '@@64306431643264336434643564366437643864396461646264636464646564663a3030363037363539306236316636663933366538333537303337643538333932',
  pinInner: 'd0d1d2d3d4d5d6d7d8d9dadbdcdddedf:006076590b61f6f936e8357037d58392',
  pinPkcs7Inner: 'd0d1d2d3d4d5d6d7d8d9dadbdcdddedf:7cc0d70fba3361a66a8a86adf971e823',
  pin: '5678',
  keyEnc:
    '59a0ce51bc85fd248de19863bfcb5de893fad053ec8a8961b62687b3451b7a629a3f55f7ff4aa642f81d3ce195e87971b42c868d18732a4a31f32e1c9b3a5a0eaaf80c69a5d3fa83035b9edc88ed198ea23dde02b762e9a5c300908a91da00e139c472007dc9848559c355f6b44db8a0f49bb71d7ffe06aee60ce72bcbf7c141ad5bad9989cab6af6ee5b59db0f4dad1',
  keyIv: 'b0b1b2b3b4b5b6b7b8b9babbbcbdbebf',
  otpSeed: '3132333435363738393031323334353637383930313233343536373839303132',
  pkcs7LastBlock: '71fdaff51e8abea04c72fa20f0d178c2',
  unchangedPrefix: 256,
};

export const token3 = {
  serial: 'KIPW0001',
  type: 'pw',
  keyEnc:
    '24362473616c7473616c7473616c7473616c74247564422f4a2e332f74414e7a61385763574b484668632e2e2e7a454c626d456a7a575337425575744c655330517734597573506871777661626367443575752e2f647037676c4a766b4845544a31743451466262452e',
  keyIv: '3a313a',
  hash: '$6$saltsaltsaltsalt$udB/J.3/tANza8WcWKHFhc...zELbmEjzWS7BUutLeS0Qw4YusPhqwvabcgD5uu./dp7glJvkHETJ1t4QFbbE.',
  password: 'Test123!',
};
