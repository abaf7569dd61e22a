import { useSodiumEngine } from '../crypto/sodium.ts';
import { loadNativeSodium } from './native-sodium.ts';

// Native libsodium for reading records where sodium-native loads ([Note: native libsodium
// for records]); the WebAssembly build otherwise. Loaded when libsodium is first needed.
useSodiumEngine(loadNativeSodium);
